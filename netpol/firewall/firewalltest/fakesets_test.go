package firewalltest

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/netpol/firewall/setkernel"
)

// TestFakeSetsRefuseWhatTheKernelRefuses.
func TestFakeSetsRefuseWhatTheKernelRefuses(t *testing.T) {
	s := NewFakeSets()
	v4 := iptablestest.NewFakeKernel(v1.IPv4Protocol)
	v4.UseIPSets(s)
	s.ReferencedBy(v4.ReferencesSet)
	pfx := netip.MustParsePrefix
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	refused := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
	must(s.CreateSet("NNP-A", setkernel.Addrs, false))
	must(s.CreateSet("NNP-N", setkernel.Nets, true))
	refused("create twice", s.CreateSet("NNP-A", setkernel.Addrs, false))
	refused("name too long", s.CreateSet("NNP-"+strings.Repeat("x", 28), setkernel.Addrs, false))
	refused("add to missing set", s.AddMember("NNP-missing", pfx("10.0.0.1/32")))
	refused("wrong family", s.AddMember("NNP-A", pfx("fd00::1/128")))
	refused("network in hash:ip", s.AddMember("NNP-A", pfx("10.0.0.0/24")))
	must(s.AddMember("NNP-A", pfx("10.0.0.1/32")))
	must(s.AddMember("NNP-A", pfx("10.0.0.1/32"))) // -exist
	must(s.AddMember("NNP-N", pfx("fd00::/64")))
	refused("delete missing member", s.DelMember("NNP-A", pfx("10.0.0.2/32")))
	if !s.SetContains("NNP-N", netip.MustParseAddr("fd00::5")) || s.SetContains("NNP-N", netip.MustParseAddr("fd01::5")) {
		t.Error("hash:net membership is by prefix")
	}
	must(v4.Restore([]byte("*filter\n-A FORWARD -m set --match-set NNP-A src -j DROP\nCOMMIT\n")))
	refused("destroy a referenced set", s.DestroySet("NNP-A"))
	if err := v4.Restore([]byte("*filter\n-A FORWARD -m set --match-set NNP-nope src -j DROP\nCOMMIT\n")); err == nil {
		t.Error("the fake iptables accepted a rule naming a missing set")
	}
	want := "NNP-A hash:ip inet: 10.0.0.1/32\nNNP-N hash:net inet6: fd00::/64\n"
	if got := s.Dump(); got != want {
		t.Errorf("Dump:\n%s\nwant:\n%s", got, want)
	}
	must(s.DestroySet("NNP-N"))
	refused("destroy missing", s.DestroySet("NNP-N"))
}
