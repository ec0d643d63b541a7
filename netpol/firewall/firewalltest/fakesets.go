// Package firewalltest holds the NetworkPolicy firewall's test doubles:
// kept out of package firewall so that no fake is compiled into the agent.
package firewalltest

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/nodenet/nodenet/netpol/firewall/setkernel"
)

// FakeSets is an in-memory setkernel.Kernel that refuses what the kernel
// refuses: creating a set twice, touching a missing set, a member of the
// wrong family (or a network in a hash:ip set), deleting a missing
// member, and destroying a set that a rule still references (it asks
// the fake iptables kernels given to ReferencedBy). It implements
// iptables.FakeIPSets, so the fake iptables can validate and trace
// `-m set` rules against it.
type FakeSets struct {
	mu        sync.Mutex
	sets      map[string]*fakeSet
	referrers []func(name string) bool
	ops       FakeSetOps
	failNext  error
}

// FakeSetOps counts the calls that changed something.
type FakeSetOps struct{ Creates, Adds, Dels, Destroys int }

type fakeSet struct {
	kind    setkernel.Kind
	ipv6    bool
	members map[netip.Prefix]bool
}

var _ setkernel.Kernel = (*FakeSets)(nil)

// NewFakeSets returns a fake with no sets.
func NewFakeSets() *FakeSets { return &FakeSets{sets: map[string]*fakeSet{}} }

// ReferencedBy registers a check of whether a rule references a set
// (iptables.FakeKernel.ReferencesSet).
func (s *FakeSets) ReferencedBy(referenced func(name string) bool) {
	s.referrers = append(s.referrers, referenced)
}

// FailNext makes the next mutating call fail with err.
func (s *FakeSets) FailNext(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = err
}

// Ops returns the counts of successful mutating calls so far.
func (s *FakeSets) Ops() FakeSetOps {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ops
}

func (s *FakeSets) takeFailure() error {
	err := s.failNext
	s.failNext = nil
	return err
}

// CreateSet implements setkernel.Kernel.
func (s *FakeSets) CreateSet(name string, kind setkernel.Kind, ipv6 bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.failNext != nil:
		return s.takeFailure()
	case s.sets[name] != nil:
		return fmt.Errorf("set %s already exists", name)
	case len(name) > setkernel.MaxName:
		return fmt.Errorf("set name %q is longer than %d", name, setkernel.MaxName)
	case kind != setkernel.Addrs && kind != setkernel.Nets:
		return fmt.Errorf("set type %q unknown", kind)
	}
	s.sets[name] = &fakeSet{kind: kind, ipv6: ipv6, members: map[netip.Prefix]bool{}}
	s.ops.Creates++
	return nil
}

func (s *FakeSets) memberSet(name string, member netip.Prefix) (*fakeSet, error) {
	set := s.sets[name]
	switch {
	case set == nil:
		return nil, fmt.Errorf("set %s does not exist", name)
	case member.Addr().Is6() != set.ipv6:
		return nil, fmt.Errorf("%s is of the wrong family for set %s", member, name)
	case set.kind == setkernel.Addrs && member.Bits() != member.Addr().BitLen():
		return nil, fmt.Errorf("%s is a network, set %s is %s", member, name, set.kind)
	}
	return set, nil
}

// AddMember implements setkernel.Kernel.
func (s *FakeSets) AddMember(name string, member netip.Prefix) error {
	return s.editMember(name, member, func(set *fakeSet) error {
		set.members[member.Masked()] = true
		s.ops.Adds++
		return nil
	})
}

// DelMember implements setkernel.Kernel.
func (s *FakeSets) DelMember(name string, member netip.Prefix) error {
	return s.editMember(name, member, func(set *fakeSet) error {
		if !set.members[member.Masked()] {
			return fmt.Errorf("%s is not in set %s", member, name)
		}
		delete(set.members, member.Masked())
		s.ops.Dels++
		return nil
	})
}

// editMember applies edit to set name once member is known to fit it.
func (s *FakeSets) editMember(name string, member netip.Prefix, edit func(*fakeSet) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.takeFailure(); err != nil {
		return err
	}
	set, err := s.memberSet(name, member)
	if err != nil {
		return err
	}
	return edit(set)
}

// DestroySet implements setkernel.Kernel. References are checked before taking
// the lock: the fake iptables asks HasSet while it holds its own.
func (s *FakeSets) DestroySet(name string) error {
	for _, referenced := range s.referrers {
		if referenced(name) {
			return fmt.Errorf("set %s cannot be destroyed: it is in use by a kernel component", name)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.takeFailure(); err != nil {
		return err
	}
	if s.sets[name] == nil {
		return fmt.Errorf("set %s does not exist", name)
	}
	delete(s.sets, name)
	s.ops.Destroys++
	return nil
}

// ListSets implements setkernel.Kernel, sorted by name, members sorted.
func (s *FakeSets) ListSets() ([]setkernel.Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []setkernel.Info
	for _, name := range slices.Sorted(maps.Keys(s.sets)) {
		set := s.sets[name]
		info := setkernel.Info{Name: name, Kind: set.kind, IPv6: set.ipv6}
		for m := range set.members {
			info.Members = append(info.Members, m)
		}
		sort.Slice(info.Members, func(i, j int) bool { return setkernel.ComparePrefix(info.Members[i], info.Members[j]) < 0 })
		out = append(out, info)
	}
	return out, nil
}

// HasSet implements iptables.FakeIPSets.
func (s *FakeSets) HasSet(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sets[name] != nil
}

// SetContains implements iptables.FakeIPSets.
func (s *FakeSets) SetContains(name string, addr netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.sets[name]
	if set == nil || addr.Is6() != set.ipv6 {
		return false
	}
	for m := range set.members {
		if m.Contains(addr) {
			return true
		}
	}
	return false
}

// Dump lists every set, one per line: "name type family: members".
func (s *FakeSets) Dump() string {
	sets, _ := s.ListSets()
	var b strings.Builder
	for _, set := range sets {
		fam := "inet"
		if set.IPv6 {
			fam = "inet6"
		}
		members := make([]string, len(set.Members))
		for i, m := range set.Members {
			members[i] = m.String()
		}
		fmt.Fprintf(&b, "%s %s %s: %s\n", set.Name, set.Kind, fam, strings.Join(members, " "))
	}
	return b.String()
}
