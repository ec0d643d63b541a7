package iptables

import (
	"net/netip"

	"github.com/nodenet/nodenet/proxy"
)

// loadBalancerSourceRanges, as kube-proxy's KUBE-FW chain and
// KUBE-PROXY-FIREWALL: the nat rules of a load-balancer IP with source
// ranges DNAT only sources inside a range, and the filter shard drops
// what is still addressed to the load-balancer IP (a DNATed packet no
// longer is, so the DROP never sees allowed traffic). Instead of a chain
// per Service, which the shard design avoids, each nat group is repeated
// once per range, its source network narrowed to the range: Services with
// source ranges usually list a handful.
//
// The rule is the same for every client, pods and the node included: the
// source address must be in a range (kube-proxy also lets pods and the
// node in only through a range). kube-proxy additionally accepts the
// load-balancer IP itself as a source when the node's IP is in a range
// (a node reaching a load-balancer IP that is a local address uses it as
// the source); nodenet does not know the node IP here and accepts that
// source only when the load-balancer IP is itself in a range.

// sourceRangesOf returns the ranges of this backend's family that may
// reach fe, and whether fe is restricted at all. Only load-balancer IPs
// are. A Service whose ranges are all of the other family reaches no
// client of this family (restricted, no range): failing closed, where
// kube-proxy, which reads the ranges per family, would leave it open.
func (c *config) sourceRangesOf(fe frontend, sp *proxy.ServicePort) ([]netip.Prefix, bool) {
	if fe.Kind != loadBalancerFrontend || len(sp.LoadBalancerSourceRanges) == 0 {
		return nil, false
	}
	var out []netip.Prefix
	for _, p := range sp.LoadBalancerSourceRanges {
		if c.family.owns(p.Addr()) {
			out = append(out, p)
		}
	}
	return out, true
}

// restrictSources repeats each group once per range it overlaps, in the
// groups' order (a packet still meets the groups as before, and within a
// group the first range that holds it), and drops what none catches.
func restrictSources(g frontendGroups, ranges []netip.Prefix) frontendGroups {
	out := frontendGroups{dropRest: true}
	for _, grp := range g.list {
		for _, r := range ranges {
			if n, ok := intersect(grp.srcNet, r); ok {
				narrowed := grp
				narrowed.srcNet = n
				out.list = append(out.list, narrowed)
			}
		}
	}
	return out
}

// intersect is the network of the addresses in both a (any address when
// invalid) and b: two prefixes overlap only if one contains the other.
func intersect(a, b netip.Prefix) (netip.Prefix, bool) {
	switch {
	case !a.IsValid():
		return b, true
	case a.Bits() >= b.Bits() && b.Contains(a.Addr()):
		return a, true
	case b.Bits() >= a.Bits() && a.Contains(b.Addr()):
		return b, true
	}
	return netip.Prefix{}, false
}

// sourceMatch is the group's match on the source address.
func (g natGroup) sourceMatch() string {
	if !g.srcNet.IsValid() {
		return g.src
	}
	return " -s " + g.srcNet.String() + g.src
}

// rejectRules are the filter rules of a frontend without any endpoint:
// REJECT, but for a restricted load-balancer IP only to allowed sources;
// the others are dropped as when there are endpoints, so a client outside
// the ranges cannot tell whether the Service has any.
func (c *config) rejectRules(id shardID, fe frontend, comment string, ranges []netip.Prefix, restricted bool) []string {
	reject := "REJECT --reject-with " + c.family.rejectICMP
	if !restricted {
		return []string{c.filterRule(id, fe, comment, reject)}
	}
	var out []string
	for _, r := range ranges {
		out = append(out, "-A "+id.filterChain()+" "+c.match(fe, comment)+" -s "+r.String()+" -j "+reject)
		comment = ""
	}
	return append(out, c.filterRule(id, fe, comment, "DROP"))
}
