package nftables

import (
	"strings"

	"github.com/nodenet/nodenet/proxy"
)

// clusterIPMasq marks ClusterIP traffic for masquerade: from outside the
// cluster CIDR, or all of it with --masquerade-all, as kube-proxy does.
func (c *config) clusterIPMasq() chainRules {
	switch {
	case c.masqueradeAll:
		return chainRules{"jump " + chainMarkForMasq}
	case c.clusterCIDR.IsValid():
		return chainRules{c.family.kw + " saddr != " + c.clusterCIDR.String() + " jump " + chainMarkForMasq}
	}
	return nil
}

// externalLocalRules: externalTrafficPolicy Local, as kube-proxy's
// external chain. Pods (sources in the cluster CIDR) are short-circuited
// to all endpoints without masquerade, and so is the node itself,
// masqueraded so the reply comes back through it. Other clients go to the
// local endpoints with their address kept (that is the point of Local).
func (c *config) externalLocalRules(clusterWide, local string) chainRules {
	var out chainRules
	if c.clusterCIDR.IsValid() {
		out = append(out, c.family.kw+" saddr "+c.clusterCIDR.String()+" goto "+clusterWide)
	}
	return append(out,
		"fib saddr type local jump "+chainMarkForMasq,
		"fib saddr type local goto "+clusterWide,
		"goto "+local)
}

// firewallRules: loadBalancerSourceRanges. The firewall-ips map sends new
// packets to a restricted load-balancer IP here, before DNAT; sources
// outside every range of this family are dropped, for every client, pods
// and the node included (as the iptables backend). A Service whose ranges
// are all of the other family reaches no client of this one: fail closed.
func (c *config) firewallRules(sp *proxy.ServicePort) chainRules {
	var ranges []string
	for _, p := range sp.LoadBalancerSourceRanges {
		if c.family.owns(p.Addr()) {
			ranges = append(ranges, p.Masked().String())
		}
	}
	if len(ranges) == 0 {
		return chainRules{"counter drop"}
	}
	// The counter shows refused clients in `nodenet dump rules` (and
	// proves the drop in the e2e suite), as iptables' rule counters do.
	return chainRules{c.family.kw + " saddr != { " + strings.Join(ranges, ", ") + " } counter drop"}
}

// frontendsOf lists the frontends of sp in this backend's family. As in
// kube-proxy (and the iptables backend), a Service port belongs to a
// family only through a ClusterIP of that family: a SingleStack IPv4
// Service gets no IPv6 objects, not even its NodePort, and an external or
// load-balancer IP of a family it has no ClusterIP in is ignored.
func (c *config) frontendsOf(sp *proxy.ServicePort) []frontend {
	var out []frontend
	for _, fe := range sp.Frontends() {
		if fe.Kind == proxy.NodePortFrontend || c.family.owns(fe.Addr) {
			out = append(out, fe)
		}
	}
	return out
}

// servesFamily tells whether sp is in this backend's family: a ClusterIP
// of it, also one that an older Service's conflict shadows (the port then
// keeps its other frontends, as in the iptables backend).
func (c *config) servesFamily(sp *proxy.ServicePort) bool { return sp.InFamily(c.family.is4()) }
