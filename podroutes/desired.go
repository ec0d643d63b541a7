// Package podroutes gives a small cluster whose nodes share one L2 segment
// pod-to-pod connectivity without any other network agent: on every node
// it routes each other Node's spec.podCIDRs via that Node's InternalIP of
// the same family (what flannel's host-gw backend does), and removes the
// routes of Nodes that go. The agent turns it on with --pod-routes.
//
// Data flows one way, as in the rest of nodenet: Node events only record
// the change and poke the runner; a sync computes the desired routes
// (Desired, pure), diffs them against the routes the kernel holds with
// nodenet's route protocol, and replaces or deletes the difference.
package podroutes

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"
)

// Route is one route nodenet owns: Dst (a pod CIDR) via the gateway Via
// (that node's InternalIP).
type Route struct {
	Dst netip.Prefix
	Via netip.Addr
}

// Desired returns the routes this node (self) needs: for every other Node,
// each pod CIDR via the Node's first InternalIP of the same family. A pod
// CIDR without such an address, or that does not parse, gets no route;
// if two Nodes claim one CIDR, the one whose name sorts first wins, so the
// result does not depend on map order.
func Desired(self string, nodes map[string]*v1.Node) map[netip.Prefix]netip.Addr {
	routes := map[netip.Prefix]netip.Addr{}
	owner := map[netip.Prefix]string{}
	for name, n := range nodes {
		if name == self {
			continue
		}
		for _, raw := range podCIDRs(n) {
			dst, err := netip.ParsePrefix(raw)
			if err != nil {
				continue
			}
			dst = dst.Masked()
			via, ok := internalIP(n, dst.Addr().Is4())
			if !ok {
				continue
			}
			if prev, taken := owner[dst]; taken && prev < name {
				continue
			}
			routes[dst], owner[dst] = via, name
		}
	}
	return routes
}

// podCIDRs prefers spec.podCIDRs (dual-stack) over the older spec.podCIDR.
func podCIDRs(n *v1.Node) []string {
	if len(n.Spec.PodCIDRs) > 0 {
		return n.Spec.PodCIDRs
	}
	if n.Spec.PodCIDR != "" {
		return []string{n.Spec.PodCIDR}
	}
	return nil
}

func internalIP(n *v1.Node, v4 bool) (netip.Addr, bool) {
	for _, a := range n.Status.Addresses {
		if a.Type != v1.NodeInternalIP {
			continue
		}
		ip, err := netip.ParseAddr(a.Address)
		if err == nil && ip.Unmap().Is4() == v4 {
			return ip.Unmap(), true
		}
	}
	return netip.Addr{}, false
}
