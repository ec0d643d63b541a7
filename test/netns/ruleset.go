package netns

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// Ruleset is every packet-filter ruleset of ns in a comparable form, for
// tests that compare a namespace with one that never saw a program: each
// iptables variant's save (both families) without comments and counters,
// and without tables that hold nothing (any iptables-restore creates the
// built-in tables of its variant; they change no packet's fate and
// iptables cannot delete them), then nft's own tables (those of
// iptables-nft are in its save).
func Ruleset(t testing.TB, ns *NS) string {
	t.Helper()
	var b strings.Builder
	for _, bin := range []string{"iptables-nft-save", "ip6tables-nft-save", "iptables-legacy-save", "ip6tables-legacy-save"} {
		fmt.Fprintf(&b, "## %s\n%s", bin, withoutEmptyTables(ns.Run(t, bin)))
	}
	fmt.Fprintf(&b, "## nft\n%s", withoutXtablesTables(ns.Run(t, "nft", "list", "ruleset")))
	return b.String()
}

var counters = regexp.MustCompile(`\[\d+:\d+\]`)

func withoutEmptyTables(save string) string {
	var b strings.Builder
	var table []string
	empty := true
	for _, line := range strings.Split(save, "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "*"):
			table, empty = nil, true
		case strings.HasPrefix(line, "-A "), strings.HasPrefix(line, ":") && !strings.Contains(line, " ACCEPT "):
			empty = false
		}
		table = append(table, counters.ReplaceAllString(line, "[0:0]"))
		if line == "COMMIT" && !empty {
			b.WriteString(strings.Join(table, "\n") + "\n")
		}
	}
	return b.String()
}

var xtablesTable = regexp.MustCompile(`^table (ip|ip6) (filter|nat|mangle|raw|security) \{`)

// withoutXtablesTables drops the tables iptables-nft owns from an
// `nft list ruleset` listing; tables end at a "}" in the first column.
func withoutXtablesTables(ruleset string) string {
	var b strings.Builder
	skip := false
	for _, line := range strings.Split(ruleset, "\n") {
		if xtablesTable.MatchString(line) {
			skip = true
		}
		if !skip && line != "" {
			b.WriteString(line + "\n")
		}
		if line == "}" {
			skip = false
		}
	}
	return b.String()
}
