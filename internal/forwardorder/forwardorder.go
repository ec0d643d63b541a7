// Package forwardorder is the one agreement between the NetworkPolicy
// firewall (netpol/firewall) and the proxy backends that write rules into
// iptables filter FORWARD (iptables, ipvs): the firewall's hook comes
// first. It only RETURNs or REJECTs, and must see packets before a proxy's
// FORWARD rules ACCEPT masqueraded Service traffic, or that traffic would
// skip policy. Backends therefore insert their FORWARD hooks below it, and
// the firewall moves its hook back to the top when someone inserted above
// it, so that whichever starts first, the order ends the same. The agent
// also starts the firewall after the proxy's first sync (proxy.Proxier.
// FirstSynced), so the two never race at start.
//
// nftables backends need none of this: an accept in an nftables base chain
// ends only that chain, and the firewall's reject still applies.
package forwardorder

import "strings"

// FirewallChain is the chain the firewall hooks first in filter FORWARD.
const FirewallChain = "NODENET-FW"

// Position is where a backend inserts a missing hook into filter FORWARD
// (1-based, for iptables -I), given the chain's `iptables -S` listing:
// just below the firewall's hook wherever it is (someone may have inserted
// rules above it), else first.
func Position(rules []string) int {
	n := 0
	for _, r := range rules {
		if !strings.HasPrefix(r, "-A ") {
			continue
		}
		n++
		if strings.HasSuffix(strings.TrimSpace(r), " -j "+FirewallChain) {
			return n + 1
		}
	}
	return 1
}
