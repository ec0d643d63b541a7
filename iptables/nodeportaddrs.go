package iptables

import (
	"net/netip"
	"slices"

	"k8s.io/klog/v2"
)

// takePrimaryIPs copies this family's primary node IPs from the table
// (--nodeport-addresses primary) into c for this sync, and tells whether
// they changed since the last sync: the sync must then be full, because
// the NodePort jumps live in the dispatch chains, which only full syncs
// are sure to rewrite.
func (c *config) takePrimaryIPs(tableIPs []netip.Addr) bool {
	if !c.nodePorts.Primary {
		return false
	}
	var mine []netip.Addr
	for _, a := range tableIPs {
		if c.family.owns(a) {
			mine = append(mine, a)
		}
	}
	if slices.Equal(mine, c.primaryIPs) {
		return false
	}
	c.primaryIPs = mine
	if len(mine) == 0 {
		klog.InfoS("NodePorts are exposed on no address until the Node's primary IPs are known (--nodeport-addresses primary)", "family", c.family.ipFamily)
	} else {
		klog.InfoS("NodePorts follow the node's primary IPs", "family", c.family.ipFamily, "ips", mine)
	}
	return true
}
