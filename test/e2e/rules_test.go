//go:build e2e

package e2e

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

var counters = regexp.MustCompile(`\[\d+:\d+\]`)

// stripCounters zeroes packet/byte counters, which change with traffic.
func stripCounters(line string) string { return counters.ReplaceAllString(line, "[0:0]") }

// normalizedSave is iptables-save of ns without comments and counters.
func normalizedSave(t *testing.T, ns *netns.NS) string {
	t.Helper()
	var keep []string
	for _, l := range strings.Split(ns.Run(t, "iptables-save"), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		keep = append(keep, stripCounters(l))
	}
	return strings.Join(keep, "\n") + "\n"
}

// chains returns the chain names declared in a saved ruleset.
func chains(save string) map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(save, "\n") {
		if strings.HasPrefix(l, ":") {
			m[strings.Fields(l[1:])[0]] = true
		}
	}
	return m
}

var builtin = map[string]bool{"PREROUTING": true, "INPUT": true, "FORWARD": true, "OUTPUT": true, "POSTROUTING": true}

// seedRules gives the node rules of "someone else" (a CNI, an admin) in
// the tables nodenet uses, which nodenet must neither break nor remove.
func seedRules(t *testing.T, ns *netns.NS) {
	t.Helper()
	for _, r := range [][]string{
		{"-t", "nat", "-N", "OTHER-NAT"},
		{"-t", "nat", "-A", "POSTROUTING", "-s", "10.99.0.0/16", "-j", "OTHER-NAT"},
		{"-t", "filter", "-A", "FORWARD", "-s", "10.98.0.0/16", "-j", "ACCEPT"},
		{"-t", "filter", "-A", "INPUT", "-p", "tcp", "--dport", "9", "-j", "DROP"},
		{"-t", "mangle", "-A", "PREROUTING", "-s", "10.97.0.0/16", "-j", "RETURN"},
	} {
		ns.Run(t, append([]string{"iptables", "-w"}, r...)...)
	}
}

// TestCleanupRestoresTables: after the agent ran, `nodenet cleanup` leaves
// iptables-save exactly as before the agent started, other rules intact.
func TestCleanupRestoresTables(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	seedRules(t, s.topo.Node)
	before := normalizedSave(t, s.topo.Node)
	s.addService(web, s.ep("pod-a"), s.ep("pod-b"))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
	programmed := normalizedSave(t, s.topo.Node)
	if nftMode() {
		// The proxy's rules are in nftables; iptables gets only the
		// firewall's chains, and maybe not yet.
		if nodenetTables(t, s.topo.Node.Name) == "" {
			t.Fatal("agent serves web but has no nftables table")
		}
	} else if programmed == before {
		t.Fatal("agent serves web but iptables-save did not change")
	}
	s.agent.Stop()
	if out, err := s.nodenet("cleanup"); err != nil {
		t.Fatalf("nodenet cleanup: %v\n%s", err, out)
	}
	if after := normalizedSave(t, s.topo.Node); after != before {
		t.Errorf("iptables-save after cleanup differs from before the agent:\n--- before\n%s--- after\n%s", before, after)
	}
	if left := nodenetTables(t, s.topo.Node.Name); left != "" {
		t.Errorf("nftables tables left after cleanup:\n%s", left)
	}
}

// TestCleanupIdempotent: cleanup on a node that has nothing of nodenet's
// (never ran, or already cleaned) succeeds and changes nothing, as
// kube-proxy --cleanup does; deploy scripts run it unconditionally.
func TestCleanupIdempotent(t *testing.T) {
	s := newScenario(t, "pod-a")
	seedRules(t, s.topo.Node)
	before := normalizedSave(t, s.topo.Node)
	for i := 1; i <= 2; i++ {
		if out, err := s.nodenet("cleanup"); err != nil {
			t.Fatalf("nodenet cleanup #%d on a node without nodenet rules: %v\n%s", i, err, out)
		}
	}
	if after := normalizedSave(t, s.topo.Node); after != before {
		t.Errorf("cleanup changed a node without nodenet rules:\n--- before\n%s--- after\n%s", before, after)
	}
}

// TestChainsPrefixed: every chain the agent adds is NODENET-*, none is
// kube-proxy's KUBE-*, and `nodenet dump rules` shows them.
func TestChainsPrefixed(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-c")
	before := chains(normalizedSave(t, s.topo.Node))
	s.addService(web, s.ep("pod-a"))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
	var added []string
	for c := range chains(normalizedSave(t, s.topo.Node)) {
		// Built-in chains appear when the agent creates a table that was
		// still absent; they are the kernel's, not nodenet's.
		if !before[c] && !builtin[c] {
			added = append(added, c)
		}
	}
	sort.Strings(added)
	if len(added) == 0 && !nftMode() {
		t.Fatal("agent added no chain")
	}
	for _, c := range added {
		if !strings.HasPrefix(c, "NODENET-") {
			t.Errorf("chain %q is not prefixed NODENET-", c)
		}
	}
	out, err := s.nodenet("dump", "rules", "--proxy-mode", proxyMode)
	if err != nil {
		t.Fatalf("nodenet dump rules: %v\n%s", err, out)
	}
	if nftMode() {
		// The proxy's objects all live in nodenet's own tables; kube-proxy's
		// "kube-proxy" tables are not made.
		if tables := nodenetTables(t, s.topo.Node.Name); !strings.Contains(tables, "table ip nodenet") {
			t.Errorf("no nodenet nftables table: %q", tables)
		}
		if all, _ := s.topo.Node.Exec("nft", "list", "tables"); strings.Contains(all, "kube-proxy") {
			t.Errorf("a kube-proxy table appeared:\n%s", all)
		}
		if !strings.Contains(out, "table ip nodenet") {
			t.Errorf("nodenet dump rules shows no nodenet table:\n%s", out)
		}
		return
	}
	if !strings.Contains(out, ":NODENET-") {
		t.Errorf("nodenet dump rules shows no NODENET- chain:\n%s", out)
	}
}
