package controller

import (
	"net/netip"
	"slices"

	v1 "k8s.io/api/core/v1"
)

// nodeEvents implements source.NodeHandler for the agent's own Node.
type nodeEvents struct{ s *Store }

func (e nodeEvents) OnNodeAdd(n *v1.Node)       { e.s.setNode(n) }
func (e nodeEvents) OnNodeUpdate(_, n *v1.Node) { e.s.setNode(n) }
func (e nodeEvents) OnNodeSynced()              { e.s.markSynced(func(k *syncedKinds) { k.node = true }) }

// OnNodeDelete keeps the last addresses and pod CIDRs: a deleted Node
// object changes nothing about the host's addresses or its running pods,
// and dropping the node IPs would cut kubelet's probes of isolated pods.
func (e nodeEvents) OnNodeDelete(*v1.Node) {}

func (s *Store) setNode(n *v1.Node) {
	next := nodeState{seen: true, ips: nodeIPs(n), podCIDRs: podCIDRs(n)}
	s.update(func() bool {
		prev := s.node
		if prev.seen && slices.Equal(prev.ips, next.ips) && slices.Equal(prev.podCIDRs, next.podCIDRs) {
			return false
		}
		s.node = next
		return true
	})
}

// nodeIPs are the Node's InternalIP and ExternalIP addresses, sorted and
// without duplicates; unparsable ones are skipped.
func nodeIPs(n *v1.Node) []netip.Addr {
	var out []netip.Addr
	for _, a := range n.Status.Addresses {
		if a.Type != v1.NodeInternalIP && a.Type != v1.NodeExternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil {
			out = append(out, ip.Unmap())
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

// podCIDRs reads spec.podCIDRs, falling back to spec.podCIDR for nodes
// written before dual-stack; host bits are cleared.
func podCIDRs(n *v1.Node) []netip.Prefix {
	cidrs := n.Spec.PodCIDRs
	if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
		cidrs = []string{n.Spec.PodCIDR}
	}
	var out []netip.Prefix
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}
