package ipvs

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/nodenet/nodenet/proxy"
)

// frontend is one virtual server as the table wants it.
type frontend struct {
	vs    VirtualServer
	name  proxy.ServicePortName
	kind  proxy.FrontendKind
	reals []netip.AddrPort // sorted
	// localReals are the reals running on this node: only they can be
	// reached in hairpin (a pod through its own Service).
	localReals []netip.AddrPort
	// localOnly: a Local traffic policy applies (no masquerade, the
	// client's address is kept).
	localOnly bool
	// sourceRanges limit a load-balancer IP's clients.
	sourceRanges []netip.Prefix
}

// bindsAddr says whether the frontend's address goes on the dummy
// interface: all but NodePorts, which answer on the node's own addresses.
func (f *frontend) bindsAddr() bool { return f.kind != proxy.NodePortFrontend }

// desiredFrontends lists the virtual servers of one service port for one
// family: each ClusterIP, external IP and load-balancer IP, and the
// NodePort on each of nodeAddrs. Local policies give their frontends the
// node's own endpoints only (ClusterIPs for internalTrafficPolicy,
// the others for externalTrafficPolicy), as kube-proxy's IPVS mode does:
// IPVS cannot tell pods and outside clients apart on one virtual server.
func desiredFrontends(t *proxy.Table, name proxy.ServicePortName, is4 bool, nodeAddrs []netip.Addr, c *Config) []*frontend {
	sp := t.Services[name]
	if sp == nil {
		return nil
	}
	clusterEps := t.FamilyTargets(name, is4)
	cluster := realsOf(clusterEps)
	local := realsOf(t.FamilyLocalTargets(name, is4))
	var out []*frontend
	add := func(kind proxy.FrontendKind, addr netip.Addr, port int32) {
		if addr.Is4() != is4 || c.excluded(addr) {
			return
		}
		reals := cluster
		if sp.LocalOnly(kind) {
			reals = local
		}
		vs := VirtualServer{ServiceKey: ServiceKey{Addr: addr, Port: uint16(port), Protocol: sp.Protocol},
			Scheduler: c.Scheduler}
		if sp.StickyMaxAgeSeconds > 0 {
			vs.PersistenceSeconds = uint32(sp.StickyMaxAgeSeconds)
		}
		f := &frontend{vs: vs, name: name, kind: kind, reals: reals, localOnly: sp.LocalOnly(kind),
			localReals: local}
		if !sp.LocalOnly(kind) {
			f.localReals = realsOf(proxy.LocalEndpoints(clusterEps))
		}
		if kind == proxy.LoadBalancerFrontend {
			f.sourceRanges = sp.LoadBalancerSourceRanges
		}
		out = append(out, f)
	}
	for _, f := range sp.Frontends() {
		if f.Kind != proxy.NodePortFrontend {
			add(f.Kind, f.Addr, f.Port)
		}
	}
	if sp.NodePort > 0 {
		for _, a := range nodeAddrs {
			add(proxy.NodePortFrontend, a, sp.NodePort)
		}
	}
	return out
}

func realsOf(eps []proxy.Endpoint) []netip.AddrPort {
	out := make([]netip.AddrPort, 0, len(eps))
	for _, ep := range eps {
		out = append(out, ep.AddrPort())
	}
	slices.SortFunc(out, netip.AddrPort.Compare)
	return slices.Compact(out)
}

// controlPlaneFirst orders service ports so that default/kubernetes, then
// kube-system's, come first: on a node with thousands of Services the
// first sync takes long, and the API server must be reachable through
// its ClusterIP early (kubernetes#133773).
func controlPlaneFirst(names []proxy.ServicePortName) {
	rank := func(n proxy.ServicePortName) int {
		switch {
		case n.Namespace == "default" && n.Name == "kubernetes":
			return 0
		case n.Namespace == "kube-system":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(names, func(a, b proxy.ServicePortName) int {
		if r := rank(a) - rank(b); r != 0 {
			return r
		}
		return strings.Compare(a.String(), b.String())
	})
}
