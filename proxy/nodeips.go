package proxy

import (
	"net/netip"
	"slices"
	"sync"

	v1 "k8s.io/api/core/v1"
)

// PrimaryNodeIPs is a NodeHandler that reports the node's primary IPs
// (--nodeport-addresses primary) to OnChange whenever they change. It is
// separate from the proxier's own Node handling, added beside it with
// NodeFanout. OnChange runs on the source's goroutine: it must only hand
// the IPs over and ask for a sync (see the agent's wiring).
type PrimaryNodeIPs struct {
	OnChange func(ips []netip.Addr)

	mu   sync.Mutex
	last []netip.Addr
	seen bool
}

func (h *PrimaryNodeIPs) OnNodeAdd(n *v1.Node)       { h.update(n) }
func (h *PrimaryNodeIPs) OnNodeUpdate(_, n *v1.Node) { h.update(n) }
func (h *PrimaryNodeIPs) OnNodeSynced()              {}

// OnNodeDelete keeps the last IPs: a deleted Node object says nothing
// about the addresses the host still has, and exposing NodePorts nowhere
// because of it would cut live traffic.
func (h *PrimaryNodeIPs) OnNodeDelete(*v1.Node) {}

func (h *PrimaryNodeIPs) update(n *v1.Node) {
	ips := PrimaryIPs(n)
	h.mu.Lock()
	same := h.seen && slices.Equal(h.last, ips)
	h.last, h.seen = ips, true
	h.mu.Unlock()
	if !same {
		h.OnChange(ips)
	}
}

// PrimaryIPs are the node's primary IPs as kube-proxy's nftables mode
// reads them: the first InternalIP of each family in status.addresses,
// IPv4 first. Unparsable addresses are skipped.
func PrimaryIPs(n *v1.Node) []netip.Addr {
	var v4, v6 netip.Addr
	for _, a := range n.Status.Addresses {
		if a.Type != v1.NodeInternalIP {
			continue
		}
		ip, err := netip.ParseAddr(a.Address)
		if err != nil {
			continue
		}
		ip = ip.Unmap()
		switch {
		case ip.Is4() && !v4.IsValid():
			v4 = ip
		case ip.Is6() && !v6.IsValid():
			v6 = ip
		}
	}
	var out []netip.Addr
	for _, a := range []netip.Addr{v4, v6} {
		if a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

// RequestFullSync asks for a full sync soon, for a change the backend
// learnt outside the Service and EndpointSlice trackers (the primary node
// IPs): the backend rewrites its dispatch rules only in full syncs.
func (p *Proxier) RequestFullSync() {
	p.markNeedFull()
	p.runner.Poke()
}

func (p *Proxier) markNeedFull() {
	p.mu.Lock()
	p.needFull = true
	p.mu.Unlock()
}
