package ipvs

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/proxy"
)

// Backend renders the table as IPVS virtual servers (proxy.Backend), for
// one IP family.
type Backend struct {
	c       *Config
	k       Kernel
	addrs   Addrs
	sysctls Sysctls
	rules   Rules

	appliedRules *RuleSpec

	synced bool
	// rendered is what the last syncs programmed, by virtual server;
	// byName indexes it by service port, and addrUsers counts the
	// frontends using each address bound to the dummy interface.
	rendered  map[ServiceKey]*frontend
	byName    map[proxy.ServicePortName][]ServiceKey
	addrUsers map[netip.Addr]int
	bound     sets.Set[netip.Addr]
	nodeAddrs []netip.Addr
	primary   []netip.Addr
	// draining holds the TCP real servers kept at weight 0 since a time,
	// until their connections end or DrainTimeout passes.
	draining map[drainKey]time.Time
}

type drainKey struct {
	vs   ServiceKey
	real netip.AddrPort
}

// NewBackend returns a backend over the given kernel surfaces; it sets the
// sysctls and timeouts IPVS needs right away.
func NewBackend(c Config, k Kernel, addrs Addrs, sysctls Sysctls, rules Rules) (*Backend, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	b := &Backend{c: c.withDefaults(), k: k, addrs: addrs, sysctls: sysctls, rules: rules,
		draining: map[drainKey]time.Time{}}
	if err := b.setSysctls(); err != nil {
		return nil, err
	}
	if c.TCPTimeout != 0 || c.TCPFinTimeout != 0 || c.UDPTimeout != 0 {
		if err := k.SetTimeouts(c.TCPTimeout, c.TCPFinTimeout, c.UDPTimeout); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Sync implements proxy.Backend: a full sync reads the kernel once and
// repairs everything; otherwise only the changed service ports are
// reprogrammed, from what the last syncs rendered.
func (b *Backend) Sync(t *proxy.Table, changed sets.Set[proxy.ServicePortName], full bool) error {
	var err error
	// A new primary IP can change the NodePort addresses.
	if !slices.Equal(t.Node.PrimaryIPs, b.primary) {
		full = true
	}
	if full || !b.synced {
		b.appliedRules = nil // rewrite them: someone may have changed them
		err = b.fullSync(t)
	} else {
		err = b.partialSync(t, changed)
	}
	if err != nil {
		b.synced = false // the next sync re-reads the kernel
		return err
	}
	b.synced = true
	return b.expireDrained()
}

func (b *Backend) listNodeAddrs(primary []netip.Addr) ([]netip.Addr, error) {
	if b.c.NodeAddrs == nil {
		return nil, nil
	}
	all, err := b.c.NodeAddrs(primary)
	if err != nil {
		return nil, fmt.Errorf("listing NodePort addresses: %w", err)
	}
	var out []netip.Addr
	for _, a := range all {
		// Link-local addresses are per link: a NodePort there serves
		// nobody (kube-proxy leaves them out too).
		if a.Is4() == b.c.is4() && !b.bound.Has(a) && !a.IsLinkLocalUnicast() {
			out = append(out, a)
		}
	}
	return out, nil
}

// ours tells whether a virtual server found in the kernel is nodenet's:
// its address is on the dummy interface, or it is on a node address with
// a port in the NodePort range. Other programs' virtual servers, and
// those in --ipvs-exclude-cidrs, are left alone.
func (b *Backend) ours(key ServiceKey, bound, nodeAddrs sets.Set[netip.Addr]) bool {
	if key.Addr.Is4() != b.c.is4() || b.c.excluded(key.Addr) {
		return false
	}
	return bound.Has(key.Addr) ||
		nodeAddrs.Has(key.Addr) && key.Port >= NodePortMin && key.Port <= NodePortMax
}

func (b *Backend) fullSync(t *proxy.Table) error {
	if err := b.addrs.EnsureDummy(); err != nil {
		return err
	}
	boundList, err := b.addrs.Bound()
	if err != nil {
		return err
	}
	b.bound = sets.New(boundList...)
	nodeAddrs, err := b.listNodeAddrs(t.Node.PrimaryIPs)
	if err != nil {
		return err
	}
	b.primary = slices.Clone(t.Node.PrimaryIPs)
	// The one dump of the kernel's virtual servers of this sync.
	inKernel, err := b.k.VirtualServers()
	if err != nil {
		return err
	}
	existing := map[ServiceKey]VirtualServer{}
	for _, vs := range inKernel {
		if b.ours(vs.ServiceKey, b.bound, sets.New(nodeAddrs...)) {
			existing[vs.ServiceKey] = vs
		}
	}
	fronts, next := b.desiredAll(t, nodeAddrs)
	if err := b.addRules(next); err != nil {
		return err
	}
	b.nodeAddrs, b.rendered = nodeAddrs, map[ServiceKey]*frontend{}
	b.byName, b.addrUsers = map[proxy.ServicePortName][]ServiceKey{}, map[netip.Addr]int{}
	for _, f := range fronts {
		old, ok := existing[f.vs.ServiceKey]
		var current []RealServer
		if ok {
			if current, err = b.k.RealServers(f.vs.ServiceKey); err != nil {
				return err
			}
		}
		if err := b.program(f, old, ok, current); err != nil {
			return err
		}
	}
	if err := b.removeStale(existing); err != nil {
		return err
	}
	return b.finishRules(next)
}

// desiredAll lists every frontend of the table, control plane first, and
// indexes them by virtual server; a virtual server two service ports
// claim goes to the first (the core reports the conflict).
func (b *Backend) desiredAll(t *proxy.Table, nodeAddrs []netip.Addr) ([]*frontend, map[ServiceKey]*frontend) {
	names := make([]proxy.ServicePortName, 0, len(t.Services))
	for name := range t.Services {
		names = append(names, name)
	}
	controlPlaneFirst(names)
	var fronts []*frontend
	next := map[ServiceKey]*frontend{}
	for _, name := range names {
		for _, f := range desiredFrontends(t, name, b.c.is4(), nodeAddrs, b.c) {
			if next[f.vs.ServiceKey] == nil {
				next[f.vs.ServiceKey] = f
				fronts = append(fronts, f)
			}
		}
	}
	return fronts, next
}

// removeStale deletes our virtual servers that nothing wants any more and
// unbinds the addresses no frontend uses.
func (b *Backend) removeStale(existing map[ServiceKey]VirtualServer) error {
	for key := range existing {
		if b.rendered[key] == nil {
			if err := b.deleteVirtual(key); err != nil {
				return err
			}
		}
	}
	for _, a := range b.bound.UnsortedList() {
		if a.Is4() == b.c.is4() && b.addrUsers[a] == 0 && !b.c.excluded(a) {
			if err := b.addrs.Unbind(a); err != nil {
				return err
			}
			b.bound.Delete(a)
		}
	}
	return nil
}

// program makes one frontend's virtual server what f wants, given what
// the kernel has (old, exists, current real servers): the address bound,
// the virtual server added or updated in place (never re-created, so
// connections survive a restart), the real servers synced.
func (b *Backend) program(f *frontend, old VirtualServer, exists bool, current []RealServer) error {
	key := f.vs.ServiceKey
	if f.bindsAddr() {
		if !b.bound.Has(key.Addr) {
			if err := b.addrs.Bind(key.Addr); err != nil {
				return err
			}
			b.bound.Insert(key.Addr)
		}
		b.addrUsers[key.Addr]++
	}
	switch {
	case !exists:
		if err := b.k.AddVirtualServer(f.vs); err != nil {
			return err
		}
	case old != f.vs:
		if err := b.k.UpdateVirtualServer(f.vs); err != nil {
			return err
		}
	}
	b.rendered[key] = f
	b.byName[f.name] = append(b.byName[f.name], key)
	return b.syncReals(key, f.reals, current)
}

// syncReals gives each wanted real server weight 1 (adding it, or
// reviving one at weight 0, which a previous run may have left:
// kubernetes#92019) and retires the others: UDP ones at once (a datagram
// flow has no end to wait for; the proxy core clears their conntrack
// entries), TCP and SCTP ones by weight 0 first, so that their
// connections finish (graceful termination) and expireDrained deletes them.
func (b *Backend) syncReals(key ServiceKey, want []netip.AddrPort, current []RealServer) error {
	have := map[netip.AddrPort]RealServer{}
	for _, rs := range current {
		have[rs.AddrPort()] = rs
	}
	for _, ap := range want {
		rs, ok := have[ap]
		delete(have, ap)
		delete(b.draining, drainKey{key, ap})
		switch {
		case !ok:
			if err := b.k.AddRealServer(key, RealServer{Addr: ap.Addr(), Port: ap.Port(), Weight: 1}); err != nil {
				return err
			}
		case rs.Weight != 1:
			rs.Weight = 1
			if err := b.k.UpdateRealServer(key, rs); err != nil {
				return err
			}
		}
	}
	for _, rs := range have {
		if err := b.retire(key, rs); err != nil {
			return err
		}
	}
	return nil
}

func (b *Backend) retire(key ServiceKey, rs RealServer) error {
	if key.Protocol == v1.ProtocolUDP {
		delete(b.draining, drainKey{key, rs.AddrPort()})
		return b.k.DeleteRealServer(key, rs.AddrPort())
	}
	if rs.Weight != 0 {
		rs.Weight = 0
		if err := b.k.UpdateRealServer(key, rs); err != nil {
			return err
		}
	}
	dk := drainKey{key, rs.AddrPort()}
	if _, ok := b.draining[dk]; !ok {
		b.draining[dk] = b.c.Clock.Now()
	}
	return nil
}

func (b *Backend) deleteVirtual(key ServiceKey) error {
	if err := b.k.DeleteVirtualServer(key); err != nil {
		return err
	}
	for dk := range b.draining {
		if dk.vs == key {
			delete(b.draining, dk)
		}
	}
	return nil
}

// expireDrained deletes the draining real servers whose connections have
// ended, or that have drained for DrainTimeout: one listing per virtual
// server that has any.
func (b *Backend) expireDrained() error {
	byVS := map[ServiceKey][]netip.AddrPort{}
	for dk := range b.draining {
		byVS[dk.vs] = append(byVS[dk.vs], dk.real)
	}
	for key, aps := range byVS {
		reals, err := b.k.RealServers(key)
		if err != nil {
			return err
		}
		conns := map[netip.AddrPort]int{}
		present := sets.New[netip.AddrPort]()
		for _, rs := range reals {
			conns[rs.AddrPort()] = rs.ActiveConns + rs.InactiveConns
			present.Insert(rs.AddrPort())
		}
		for _, ap := range aps {
			dk := drainKey{key, ap}
			if !present.Has(ap) {
				delete(b.draining, dk)
				continue
			}
			if conns[ap] > 0 && b.c.Clock.Now().Sub(b.draining[dk]) < b.c.DrainTimeout {
				continue
			}
			if err := b.k.DeleteRealServer(key, ap); err != nil {
				return err
			}
			klog.V(2).InfoS("Deleted drained IPVS real server", "virtualServer", key, "realServer", ap, "connections", conns[ap])
			delete(b.draining, dk)
		}
	}
	return nil
}
