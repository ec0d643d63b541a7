package iptablestest

import (
	"fmt"
	"strings"
)

// Quoting as iptables-restore reads it and iptables-save writes it.

// stringOptions take free text: exactly one argument, printed quoted.
var stringOptions = map[string]bool{"comment": true, "log-prefix": true, "nflog-prefix": true}

// quoteTokens quotes free-text arguments the way iptables-save does.
func quoteTokens(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t
		if i > 0 && strings.HasPrefix(toks[i-1], "--") && stringOptions[toks[i-1][2:]] {
			out[i] = saveString(t)
		}
	}
	return out
}

// saveString mirrors xtables_save_string: bare when the value is only
// [A-Za-z0-9_-], else double-quoted with " and \ escaped.
func saveString(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0
	if safe {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `'`, `\'`)
	return `"` + r.Replace(s) + `"`
}

// splitLine splits an iptables-restore line into arguments: whitespace
// separates them, double quotes group them and backslash escapes a quote.
func splitLine(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\'' || line[i+1] == '\\'):
			i++
			cur.WriteByte(line[i])
			have = true
		case c == '"':
			inQuote, have = !inQuote, true
		case !inQuote && (c == ' ' || c == '\t'):
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unterminated quote in %q", line)
	}
	if have {
		out = append(out, cur.String())
	}
	return out, nil
}
