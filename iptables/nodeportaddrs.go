package iptables

import (
	"net/netip"
	"slices"
	"sync"

	"k8s.io/klog/v2"
)

// primaryIPs carries the node's primary IPs (--nodeport-addresses
// primary) from the Node handler's goroutine to the sync goroutine. A
// change forces the next Sync to be full, which rewrites the dispatch
// chains that hold the NodePort jumps; the Node handler pokes the proxier
// (proxy.Proxier.RequestFullSync) so that sync happens soon.
type primaryIPs struct {
	mu      sync.Mutex
	ips     []netip.Addr
	known   bool
	version int // bumped by every change
	warned  sync.Once
}

// SetPrimaryNodeIPs hands the backend the node's primary IPs, learnt from
// its Node object; only used with Options.NodePortPrimary. The next Sync
// is full when they changed. Safe to call from any goroutine.
func (b *Backend) SetPrimaryNodeIPs(ips []netip.Addr) {
	p := b.cfg.primary
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

// takePrimaryIPs copies the latest primary IPs into c for this sync and
// tells whether they changed since the last call (the sync must then be
// full, so the dispatch chains are rewritten).
func (c *config) takePrimaryIPs() bool {
	p := c.primary
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.known {
		p.warned.Do(func() {
			klog.InfoS("NodePorts are exposed on no address until the Node's primary IPs are known (--nodeport-addresses primary)")
		})
	}
	changed := p.version != c.primaryVersion
	c.primaryIPs, c.primaryVersion = p.ips, p.version
	return changed
}

// primaryJumps send packets for the node's primary IPs to the NodePort
// chain, and nothing while they are unknown: NodePorts are then exposed
// nowhere rather than everywhere. The LOCAL match keeps an address the
// node no longer holds from capturing forwarded traffic.
func (c *config) primaryJumps(from, to string) []string {
	var out []string
	for _, a := range c.primaryIPs {
		out = append(out, "-A "+from+" -d "+c.family.host(a)+" -m addrtype --dst-type LOCAL -j "+to)
	}
	return out
}
