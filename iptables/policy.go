package iptables

import (
	"net/netip"

	"github.com/nodenet/nodenet/proxy"
)

// natGroup is a run of a frontend's nat rules that share a source match:
// packets it matches are spread over its targets.
type natGroup struct {
	srcNet    netip.Prefix // packets from this network only, when valid
	src       string       // extra match on the source, "" for every packet
	masq      bool         // mark the group's packets for masquerade
	masqMatch string       // further restricts which are masqueraded
	targets   []proxy.Endpoint
}

// frontendGroups is how one frontend's traffic is split: groups in order,
// and whether what none of them catches is dropped in the filter table.
type frontendGroups struct {
	list     []natGroup
	dropRest bool
}

// natGroups decides, per traffic policy, which endpoints get fe's packets
// (all and local are the Cluster and Local policy's targets; all is not
// empty). The backend only renders what the core's target lists say.
func (c *config) natGroups(fe frontend, sp *proxy.ServicePort, all, local []proxy.Endpoint) frontendGroups {
	if !sp.LocalOnly(fe.Kind) {
		masqMatch, masq := c.masqueradeMatch(fe)
		return frontendGroups{list: []natGroup{{masq: masq, masqMatch: masqMatch, targets: all}}}
	}
	if fe.Kind == clusterIPFrontend {
		return c.internalLocalGroups(fe, local)
	}
	return c.externalLocalGroups(local, all)
}

// internalLocalGroups: internalTrafficPolicy Local sends ClusterIP traffic
// to local endpoints only, masqueraded by the same rule as under Cluster.
// Without a local endpoint kube-proxy drops the traffic rather than
// rejecting it (the Service does have endpoints, just not here), as the
// Kubernetes docs on Service Internal Traffic Policy say: "If there are
// no node-local endpoints, kube-proxy does not forward any traffic".
func (c *config) internalLocalGroups(fe frontend, local []proxy.Endpoint) frontendGroups {
	if len(local) == 0 {
		return frontendGroups{dropRest: true}
	}
	masqMatch, masq := c.masqueradeMatch(fe)
	return frontendGroups{list: []natGroup{{masq: masq, masqMatch: masqMatch, targets: local}}}
}

// externalLocalGroups: externalTrafficPolicy Local, as kube-proxy's
// KUBE-EXT chain. Pods (sources in the cluster CIDR) are short-circuited
// to all endpoints without masquerade, and so is the node itself
// (src-type LOCAL), masqueraded so the reply comes back through it. Other
// clients go to local endpoints, not masqueraded (that is the point: the
// endpoint sees the client's address); with none they are dropped.
func (c *config) externalLocalGroups(local, all []proxy.Endpoint) frontendGroups {
	var g frontendGroups
	if c.clusterCIDR.IsValid() {
		g.list = append(g.list, natGroup{srcNet: c.clusterCIDR, targets: all})
	}
	g.list = append(g.list, natGroup{src: " -m addrtype --src-type LOCAL", masq: true, targets: all})
	if len(local) == 0 {
		g.dropRest = true
		return g
	}
	g.list = append(g.list, natGroup{targets: local})
	return g
}
