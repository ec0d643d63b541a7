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
// chain's `-S` listing: 1, or 2 below a leading firewall hook.
func hookPosition(table, chain string, rules []string) int {
	if table != tableFilter || chain != "FORWARD" {
		return 1
	}
	for _, r := range rules {
		if strings.HasPrefix(r, "-A ") {
			if strings.HasSuffix(strings.TrimSpace(r), " -j "+FirewallChain) {
				return 2
			}
			return 1
		}
	}
	return 1
}
