//go:build e2e

package contract

import (
	"cmp"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/netpol/firewall"
	"github.com/nodenet/nodenet/netpol/firewall/firewalltest"
	"github.com/nodenet/nodenet/test/netns"
)

// twinSets is twin's counterpart for ipsets: the firewall's netlink
// SetKernel in a namespace and its FakeSets, every call made on both,
// answers and listings compared, the kernel's answer given back.
type twinSets struct {
	t      testing.TB
	kernel *firewall.NetlinkSets
	fake   *firewalltest.FakeSets
}

var _ firewall.SetKernel = (*twinSets)(nil)

// newTwinSets opens netlink in ns and a FakeSets that the fake iptables
// of each twin consult for -m set (and that asks them, before destroying
// a set, whether a rule uses it).
func newTwinSets(t *testing.T, ns string, iptables ...*twin) *twinSets {
	s := &twinSets{t: t, fake: firewalltest.NewFakeSets()}
	if err := netns.Within(ns, func() (err error) {
		s.kernel, err = firewall.NewNetlinkSets()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.kernel.Close)
	for _, w := range iptables {
		w.fake.UseIPSets(s.fake)
		s.fake.ReferencedBy(w.fake.ReferencesSet)
	}
	return s
}

func (s *twinSets) both(what string, call func(firewall.SetKernel) error) error {
	errK, errF := call(s.kernel), call(s.fake)
	if (errK == nil) != (errF == nil) {
		s.t.Errorf("%s: the kernel says %v, the fake says %v", what, errK, errF)
	}
	return errK
}

func (s *twinSets) CreateSet(name string, kind firewall.SetKind, ipv6 bool) error {
	return s.both("create "+name, func(k firewall.SetKernel) error { return k.CreateSet(name, kind, ipv6) })
}

func (s *twinSets) AddMember(name string, member netip.Prefix) error {
	return s.both(fmt.Sprintf("add %s %s", name, member), func(k firewall.SetKernel) error { return k.AddMember(name, member) })
}

func (s *twinSets) DelMember(name string, member netip.Prefix) error {
	return s.both(fmt.Sprintf("del %s %s", name, member), func(k firewall.SetKernel) error { return k.DelMember(name, member) })
}

func (s *twinSets) DestroySet(name string) error {
	return s.both("destroy "+name, func(k firewall.SetKernel) error { return k.DestroySet(name) })
}

func (s *twinSets) ListSets() ([]firewall.SetInfo, error) {
	k, err := s.kernel.ListSets()
	s.same("list sets")
	return k, err
}

// same fails the test unless both list the same sets and members.
func (s *twinSets) same(step string) {
	s.t.Helper()
	k, errK := s.kernel.ListSets()
	f, errF := s.fake.ListSets()
	if errK != nil || errF != nil {
		s.t.Fatalf("%s: list sets: kernel %v, fake %v", step, errK, errF)
	}
	if !reflect.DeepEqual(normalSets(k), normalSets(f)) {
		s.t.Errorf("%s: the fake's sets differ from the kernel's\nkernel: %v\nfake:   %v", step, k, f)
	}
}

// normalSets sorts sets by name and members, and makes an empty member
// list nil: the kernel lists sets in creation order and members in hash
// order, an order that carries no meaning.
func normalSets(sets []firewall.SetInfo) []firewall.SetInfo {
	out := make([]firewall.SetInfo, len(sets))
	for i, s := range sets {
		s.Members = slices.SortedFunc(slices.Values(s.Members), func(a, b netip.Prefix) int {
			return cmp.Or(a.Addr().Compare(b.Addr()), a.Bits()-b.Bits())
		})
		if len(s.Members) == 0 {
			s.Members = nil
		}
		out[i] = s
	}
	slices.SortFunc(out, func(a, b firewall.SetInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}
