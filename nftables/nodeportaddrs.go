package nftables

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"k8s.io/klog/v2"
)

// nodePortAddrs decides on which local addresses NodePorts answer: every
// one but loopback (localhost NodePorts need route_localnet,
// CVE-2020-8558), those in --nodeport-addresses, or the node's primary
// IPs. The chosen addresses are the elements of the nodeport-addrs set,
// so a change is a set update, not a rule rewrite. This is the one place
// that knows where the addresses come from.
type nodePortAddrs struct {
	fam     family
	cidrs   []netip.Prefix
	primary *primaryIPs // nil unless --nodeport-addresses primary
}

// primaryIPs carries the node's primary IPs from the Node handler's
// goroutine to the sync goroutine.
type primaryIPs struct {
	mu      sync.Mutex
	ips     []netip.Addr
	known   bool
	version int // bumped by every change
	taken   int // the version the last sync used
	warned  sync.Once
}

func newNodePortAddrs(fam family, cidrs []netip.Prefix, primary bool) (nodePortAddrs, error) {
	n := nodePortAddrs{fam: fam}
	if primary {
		if len(cidrs) > 0 {
			return n, fmt.Errorf("node port addresses: primary cannot be combined with CIDRs")
		}
		n.primary = &primaryIPs{}
	}
	for _, p := range cidrs {
		if fam.owns(p.Addr()) {
			n.cidrs = append(n.cidrs, p.Masked())
		}
	}
	return n, nil
}

// restricted tells whether NodePorts answer only on the set's addresses
// (otherwise on every local address but loopback).
func (n *nodePortAddrs) restricted() bool { return n.primary != nil || len(n.cidrs) > 0 }

// match is the start of a rule that selects packets for a NodePort.
func (n *nodePortAddrs) match() string {
	if !n.restricted() {
		return "fib daddr type local " + n.fam.kw + " daddr != " + n.fam.loopback
	}
	return n.fam.kw + " daddr @" + setNodePortAddrs + " fib daddr type local"
}

// elements are the nodeport-addrs set's keys as of now.
func (n *nodePortAddrs) elements() [][]string {
	var out [][]string
	if n.primary != nil {
		n.primary.mu.Lock()
		defer n.primary.mu.Unlock()
		if !n.primary.known {
			n.primary.warned.Do(func() {
				klog.InfoS("NodePorts are exposed on no address until the Node's primary IPs are known (--nodeport-addresses primary)")
			})
		}
		for _, a := range n.primary.ips {
			out = append(out, []string{a.String()})
		}
		return out
	}
	for _, p := range n.cidrs {
		out = append(out, []string{p.String()})
	}
	return out
}

// takeChange tells whether the primary IPs changed since the last call.
func (n *nodePortAddrs) takeChange() bool {
	p := n.primary
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	changed := p.version != p.taken
	p.taken = p.version
	return changed
}

// SetPrimaryNodeIPs hands the backend the node's primary IPs, learnt from
// its Node object; only used with Options.NodePortPrimary. The next Sync
// is full when they changed. Safe to call from any goroutine.
func (b *Backend) SetPrimaryNodeIPs(ips []netip.Addr) {
	p := b.cfg.nodePorts.primary
	if p == nil {
		return
	}
	var mine []netip.Addr
	for _, a := range ips {
		if b.cfg.family.owns(a) {
			mine = append(mine, a)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.known && slices.Equal(p.ips, mine) {
		return
	}
	p.ips, p.known = mine, true
	p.version++
	klog.InfoS("NodePorts follow the node's primary IPs", "family", b.cfg.family.ipFamily, "ips", mine)
}
