package iptables

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nodenet/nodenet/proxy"
)

// shardRules is the content of one shard's two chains.
type shardRules struct {
	nat    []string
	filter []string
}

// renderShard writes the rules of every frontend of members that falls in
// shard id. members must be sorted, so the output is deterministic.
func (c *config) renderShard(id shardID, members []proxy.ServicePortName, t *proxy.Table) shardRules {
	var out shardRules
	for _, name := range members {
		sp := t.Services[name]
		if sp == nil {
			continue
		}
		targets := t.Targets(name)
		comment := strconv.Quote(name.String())
		for _, fe := range c.frontendsOf(sp) {
			if c.shardOfFrontend(fe) != id {
				continue
			}
			if len(targets) == 0 {
				out.filter = append(out.filter, c.rejectRule(id, fe, comment))
				continue
			}
			out.nat = c.appendNATRules(out.nat, id, fe, comment, sp, targets)
		}
	}
	return out
}

func (c *config) rejectRule(id shardID, fe frontend, comment string) string {
	return "-A " + id.filterChain() + " " + c.match(fe, comment) + " -j REJECT --reject-with " + c.family.rejectICMP
}

// appendNATRules marks the frontend's packets for masquerade where needed,
// sends clients with affinity back to their endpoint, then spreads new
// connections at random over targets: rule i of n matches with probability
// 1/(n-i), so each target gets 1/n (kube-proxy's scheme).
func (c *config) appendNATRules(rules []string, id shardID, fe frontend, comment string, sp *proxy.ServicePort, targets []proxy.Endpoint) []string {
	chain := "-A " + id.natChain() + " "
	first, rest := chain+c.match(fe, comment), chain+c.match(fe, "")
	if masq, ok := c.masqueradeMatch(fe); ok {
		rules = append(rules, first+masq+" -j MARK --or-mark "+c.masqMark)
		first = rest
	}
	if sp.StickyMaxAgeSeconds > 0 {
		for _, ep := range targets {
			rules = append(rules, first+stickyCheck(sp, ep)+dnatTo(ep))
			first = rest
		}
	}
	n := len(targets)
	for i, ep := range targets {
		var b strings.Builder
		b.WriteString(first)
		first = rest
		if left := n - i; left > 1 {
			fmt.Fprintf(&b, " -m statistic --mode random --probability %0.10f", 1.0/float64(left))
		}
		if sp.StickyMaxAgeSeconds > 0 {
			b.WriteString(" -m recent --name " + recentName(sp.Name, ep) + " --set --rsource")
		}
		b.WriteString(dnatTo(ep))
		rules = append(rules, b.String())
	}
	return rules
}

func dnatTo(ep proxy.Endpoint) string { return " -j DNAT --to-destination " + ep.AddrPort().String() }

// stickyCheck matches a client seen at ep within the affinity timeout.
// xt_recent keeps one list per name (100 addresses by default, the
// module's ip_list_tot), the same limit kube-proxy's affinity has.
func stickyCheck(sp *proxy.ServicePort, ep proxy.Endpoint) string {
	return fmt.Sprintf(" -m recent --name %s --rcheck --seconds %d --reap --rsource", recentName(sp.Name, ep), sp.StickyMaxAgeSeconds)
}
