package iptablestest

import (
	"fmt"
	"net/netip"
	"sort"
)

// FakeIPSets is what the fake kernel needs to know about ipsets, so that
// rules with `-m set --match-set NAME src|dst` validate and trace as in
// the kernel: a restore referencing a set that does not exist fails, and
// the tracer asks whether the packet's address is a member. The
// NetworkPolicy firewall's set fake implements it.
type FakeIPSets interface {
	// HasSet tells whether set name exists.
	HasSet(name string) bool
	// SetContains tells whether addr is a member of set name (for a
	// hash:net set: inside one of its networks).
	SetContains(name string, addr netip.Addr) bool
}

// UseIPSets makes the fake consult sets for `-m set` rules. Without it,
// any rule naming a set fails to commit, as it would on a kernel where
// the set does not exist.
func (f *FakeKernel) UseIPSets(sets FakeIPSets) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ipsets = sets
}

// ReferencesSet tells whether any rule of any table names set, which is
// when the kernel refuses to destroy it ("Set cannot be destroyed: it is
// in use by a kernel component").
func (f *FakeKernel) ReferencesSet(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tables {
		for _, c := range t.chains {
			for _, r := range c.rules {
				if _, ok := r.setNames()[name]; ok {
					return true
				}
			}
		}
	}
	return false
}

// setNames lists the sets a rule matches on.
func (r *fakeRule) setNames() map[string]bool {
	out := map[string]bool{}
	for _, m := range r.matches {
		for i, tok := range m.text {
			if tok == "--match-set" && i+1 < len(m.text) {
				out[m.text[i+1]] = true
			}
		}
	}
	return out
}

// checkSetRefs fails, as iptables does before committing, when a rule of
// t names a set that does not exist.
func (f *FakeKernel) checkSetRefs(t *fakeTable) error {
	var missing []string
	for _, c := range t.chains {
		for _, r := range c.rules {
			for name := range r.setNames() {
				if f.ipsets == nil || !f.ipsets.HasSet(name) {
					missing = append(missing, name)
				}
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("set %s doesn't exist", missing[0])
}
