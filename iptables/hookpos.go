package iptables

import "github.com/nodenet/nodenet/internal/forwardorder"

// hookPosition is where a missing hook is inserted into chain, given the
// chain's `-S` listing: in filter FORWARD just below the firewall's hook
// (forwardorder.Position), elsewhere first.
func hookPosition(table, chain string, rules []string) int {
	if table != tableFilter || chain != "FORWARD" {
		return 1
	}
	return forwardorder.Position(rules)
}
