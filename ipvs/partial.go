package ipvs

import (
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy"
)

// partialSync reprograms the changed service ports only, comparing with
// what earlier syncs rendered: no kernel listing but for draining real
// servers, so its cost follows the change, not the number of Services.
func (b *Backend) partialSync(t *proxy.Table, changed sets.Set[proxy.ServicePortName]) error {
	names := changed.UnsortedList()
	controlPlaneFirst(names)
	byName := map[proxy.ServicePortName][]*frontend{}
	for _, name := range names {
		byName[name] = desiredFrontends(t, name, b.c.is4(), b.nodeAddrs, b.c)
	}
	next := b.rulesNeeded(names, byName)
	if err := b.addRules(next); err != nil {
		return err
	}
	for _, name := range names {
		fronts := byName[name]
		keep := sets.New[ServiceKey]()
		for _, f := range fronts {
			keep.Insert(f.vs.ServiceKey)
		}
		for _, key := range b.byName[name] {
			if !keep.Has(key) {
				if err := b.removeFrontend(key); err != nil {
					return err
				}
			}
		}
		delete(b.byName, name)
		for _, f := range fronts {
			if err := b.reprogram(f); err != nil {
				return err
			}
		}
	}
	return b.finishRules(next)
}

// rulesNeeded returns the frontends the rules must be computed from after
// this change, or nil when the change leaves every set as it is (an
// endpoint on another node replaced, say): then the rules are not even
// recomputed, and a partial sync costs what changed, not the table's size.
func (b *Backend) rulesNeeded(names []proxy.ServicePortName, byName map[proxy.ServicePortName][]*frontend) map[ServiceKey]*frontend {
	before, after := map[ServiceKey]*frontend{}, map[ServiceKey]*frontend{}
	for _, name := range names {
		for _, key := range b.byName[name] {
			before[key] = b.rendered[key]
		}
		for _, f := range byName[name] {
			after[f.vs.ServiceKey] = f
		}
	}
	if b.appliedRules != nil && b.ruleSpec(before).Equal(b.ruleSpec(after)) {
		return nil
	}
	next := maps.Clone(b.rendered)
	for key := range before {
		delete(next, key)
	}
	for key, f := range after {
		if next[key] == nil {
			next[key] = f
		}
	}
	return next
}

// reprogram brings one frontend from its rendered state to f.
func (b *Backend) reprogram(f *frontend) error {
	key := f.vs.ServiceKey
	old := b.rendered[key]
	if old != nil && old.name != f.name {
		return nil // claimed by another service port (conflicts are reported by the core)
	}
	if old == nil {
		return b.program(f, VirtualServer{}, false, nil)
	}
	if old.bindsAddr() {
		b.addrUsers[key.Addr]-- // program counts it again
	}
	return b.program(f, old.vs, true, b.renderedReals(old))
}

// renderedReals is what the kernel has for a rendered frontend: its real
// servers at weight 1 and those draining at weight 0.
func (b *Backend) renderedReals(f *frontend) []RealServer {
	var out []RealServer
	for _, ap := range f.reals {
		out = append(out, RealServer{Addr: ap.Addr(), Port: ap.Port(), Weight: 1})
	}
	for dk := range b.draining {
		if dk.vs == f.vs.ServiceKey && !slices.Contains(f.reals, dk.real) {
			out = append(out, RealServer{Addr: dk.real.Addr(), Port: dk.real.Port(), Weight: 0})
		}
	}
	return out
}

// removeFrontend deletes a virtual server that no service port wants, and
// its address once no other frontend uses it.
func (b *Backend) removeFrontend(key ServiceKey) error {
	f := b.rendered[key]
	if err := b.deleteVirtual(key); err != nil {
		return err
	}
	delete(b.rendered, key)
	if f == nil || !f.bindsAddr() {
		return nil
	}
	b.addrUsers[key.Addr]--
	if b.addrUsers[key.Addr] > 0 {
		return nil
	}
	delete(b.addrUsers, key.Addr)
	b.bound.Delete(key.Addr)
	return b.addrs.Unbind(key.Addr)
}
