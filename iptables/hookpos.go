package iptables

import "strings"

// FirewallChain is the chain the NetworkPolicy firewall (netpol/firewall)
// hooks first in filter FORWARD. It only RETURNs or REJECTs, and must see
// packets before NODENET-FORWARD ACCEPTs masqueraded Service traffic, or
// that traffic would skip policy. The proxy therefore inserts its own
// FORWARD hooks below it, so that whichever of the two starts first, the
// order ends the same.
const FirewallChain = "NODENET-FW"

// hookPosition is where a missing hook is inserted into chain, given the
// chain's `-S` listing: just below the firewall's hook in filter FORWARD,
// wherever it is (someone may have inserted rules above it; the firewall
// moves its hook back to the top, and ours must not end up above it),
// else 1.
func hookPosition(table, chain string, rules []string) int {
	if table != tableFilter || chain != "FORWARD" {
		return 1
	}
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
