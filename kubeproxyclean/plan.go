package kubeproxyclean

import (
	"bytes"
	"strings"
)

// plan turns the iptables-save output of one binary (every table) into the
// iptables-restore --noflush payload that removes kube-proxy's chains: in
// each table, the jumps from other chains into kube-proxy's are deleted,
// then its chains are declared (which flushes them) and deleted, all in
// one transaction per table. Rules of other programs, including jumps to
// kubelet's KUBE-* chains, are not named and so stay. Empty when nothing
// of kube-proxy's is there.
func plan(save string) []byte {
	var out bytes.Buffer
	for _, t := range parseSave(save) {
		var owned []string
		for _, c := range t.chains {
			if ownedChain(c) {
				owned = append(owned, c)
			}
		}
		if len(owned) == 0 {
			continue
		}
		out.WriteString("*" + t.name + "\n")
		for _, r := range t.rules {
			if !ownedChain(r.chain) && ownedChain(jumpTarget(r.args)) {
				out.WriteString("-D " + r.chain + " " + r.args + "\n")
			}
		}
		for _, c := range owned {
			out.WriteString(":" + c + " - [0:0]\n")
		}
		for _, c := range owned {
			out.WriteString("-X " + c + "\n")
		}
		out.WriteString("COMMIT\n")
	}
	return out.Bytes()
}

type savedTable struct {
	name   string
	chains []string
	rules  []savedRule
}

// savedRule is "-A chain args" with args as iptables-save printed them.
type savedRule struct {
	chain, args string
}

func parseSave(save string) []savedTable {
	var tables []savedTable
	var cur *savedTable
	for _, line := range strings.Split(save, "\n") {
		switch {
		case strings.HasPrefix(line, "*"):
			tables = append(tables, savedTable{name: strings.TrimPrefix(line, "*")})
			cur = &tables[len(tables)-1]
		case cur == nil:
		case strings.HasPrefix(line, ":"):
			cur.chains = append(cur.chains, strings.Fields(line[1:])[0])
		case strings.HasPrefix(line, "-A "):
			chain, args, _ := strings.Cut(strings.TrimPrefix(line, "-A "), " ")
			cur.rules = append(cur.rules, savedRule{chain: chain, args: args})
		}
	}
	return tables
}

// jumpTarget is the chain a rule jumps or goes to, "" if none. Quoted
// strings (comments) are skipped so a comment naming a chain is no jump.
func jumpTarget(args string) string {
	words := splitQuoted(args)
	for i := 0; i+1 < len(words); i++ {
		switch words[i] {
		case "-j", "--jump", "-g", "--goto":
			return words[i+1]
		}
	}
	return ""
}

// splitQuoted splits at spaces outside double quotes; a quoted word comes
// back as one word, quotes included (iptables-save escapes \" inside).
func splitQuoted(s string) []string {
	var words []string
	var cur strings.Builder
	quoted, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}
