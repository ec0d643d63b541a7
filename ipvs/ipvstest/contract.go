package ipvstest

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/ipvs"
)

// KernelContract checks that k, empty at the start, behaves as the Linux
// kernel's IPVS does for every call the backend makes. It runs against
// the fake in unit tests and against the real kernel inside the test VM.
func KernelContract(t *testing.T, k ipvs.Kernel) {
	vip := netip.MustParseAddr("10.96.0.10")
	tcp := ipvs.ServiceKey{Addr: vip, Port: 80, Protocol: v1.ProtocolTCP}
	udp := ipvs.ServiceKey{Addr: vip, Port: 80, Protocol: v1.ProtocolUDP}
	v6 := ipvs.ServiceKey{Addr: netip.MustParseAddr("fd00:10:96::10"), Port: 443, Protocol: v1.ProtocolTCP}
	rs := ipvs.RealServer{Addr: netip.MustParseAddr("10.244.1.10"), Port: 8080, Weight: 1}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	refused := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: accepted, the kernel refuses it", what)
		}
	}
	wantServers(t, k, nil)
	must("add TCP", k.AddVirtualServer(ipvs.VirtualServer{ServiceKey: tcp, Scheduler: "rr"}))
	refused("adding it twice", k.AddVirtualServer(ipvs.VirtualServer{ServiceKey: tcp, Scheduler: "rr"}))
	refused("an unknown scheduler", k.AddVirtualServer(ipvs.VirtualServer{ServiceKey: udp, Scheduler: "nosuch"}))
	must("add UDP on the same address and port", k.AddVirtualServer(ipvs.VirtualServer{ServiceKey: udp, Scheduler: "rr"}))
	must("add IPv6", k.AddVirtualServer(ipvs.VirtualServer{ServiceKey: v6, Scheduler: "sh"}))
	sticky := ipvs.VirtualServer{ServiceKey: tcp, Scheduler: "wrr", PersistenceSeconds: 30}
	must("update scheduler and persistence", k.UpdateVirtualServer(sticky))
	wantServers(t, k, []ipvs.VirtualServer{sticky, {ServiceKey: udp, Scheduler: "rr"}, {ServiceKey: v6, Scheduler: "sh"}})

	must("add real server", k.AddRealServer(tcp, rs))
	refused("adding it twice", k.AddRealServer(tcp, rs))
	refused("a real server of a missing service",
		k.AddRealServer(ipvs.ServiceKey{Addr: vip, Port: 81, Protocol: v1.ProtocolTCP}, rs))
	wantReal(t, k, tcp, []ipvs.RealServer{rs})
	drained := rs
	drained.Weight = 0
	must("weight 0", k.UpdateRealServer(tcp, drained))
	wantReal(t, k, tcp, []ipvs.RealServer{drained})
	wantReal(t, k, udp, nil)
	must("delete real server", k.DeleteRealServer(tcp, rs.AddrPort()))
	refused("deleting it twice", k.DeleteRealServer(tcp, rs.AddrPort()))
	wantReal(t, k, tcp, nil)

	must("add real server again", k.AddRealServer(tcp, rs))
	must("delete TCP with its real server", k.DeleteVirtualServer(tcp))
	refused("deleting it twice", k.DeleteVirtualServer(tcp))
	// The kernel lists no real servers, without an error, for a service
	// it does not have.
	wantReal(t, k, tcp, nil)
	must("delete UDP", k.DeleteVirtualServer(udp))
	must("delete IPv6", k.DeleteVirtualServer(v6))
	wantServers(t, k, nil)
}

func wantServers(t *testing.T, k ipvs.Kernel, want []ipvs.VirtualServer) {
	t.Helper()
	got, err := k.VirtualServers()
	if err != nil {
		t.Fatalf("listing: %v", err)
	}
	cmp := func(a, b ipvs.VirtualServer) int { return compareKeys(a.ServiceKey, b.ServiceKey) }
	slices.SortFunc(got, cmp)
	slices.SortFunc(want, cmp)
	if !slices.Equal(got, want) {
		t.Errorf("virtual servers:\n got %+v\nwant %+v", got, want)
	}
}

func compareKeys(a, b ipvs.ServiceKey) int {
	if c := a.Addr.Compare(b.Addr); c != 0 {
		return c
	}
	if a.Port != b.Port {
		return int(a.Port) - int(b.Port)
	}
	return strings.Compare(string(a.Protocol), string(b.Protocol))
}

func wantReal(t *testing.T, k ipvs.Kernel, key ipvs.ServiceKey, want []ipvs.RealServer) {
	t.Helper()
	got, err := k.RealServers(key)
	if err != nil {
		t.Fatalf("listing real servers of %s: %v", key, err)
	}
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("real servers of %s:\n got %+v\nwant %+v", key, got, want)
	}
}

// AddrsContract checks a, with no dummy interface at the start, against
// what the kernel does with DummyName's addresses.
func AddrsContract(t *testing.T, a ipvs.Addrs) {
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	v4, v6 := netip.MustParseAddr("10.96.0.10"), netip.MustParseAddr("fd00:10:96::10")
	wantBound(t, a, nil)
	if err := a.Bind(v4); err == nil {
		t.Errorf("binding without %s: accepted", ipvs.DummyName)
	}
	must("create dummy", a.EnsureDummy())
	must("create dummy again", a.EnsureDummy())
	must("bind v4", a.Bind(v4))
	must("bind v6", a.Bind(v6))
	must("bind v4 again", a.Bind(v4))
	wantBound(t, a, []netip.Addr{v4, v6})
	must("unbind v4", a.Unbind(v4))
	must("unbind v4 again", a.Unbind(v4))
	wantBound(t, a, []netip.Addr{v6})
	must("delete dummy", a.DeleteDummy())
	must("delete dummy again", a.DeleteDummy())
	wantBound(t, a, nil)
}

func wantBound(t *testing.T, a ipvs.Addrs, want []netip.Addr) {
	t.Helper()
	got, err := a.Bound()
	if err != nil {
		t.Fatalf("listing bound addresses: %v", err)
	}
	slices.SortFunc(got, netip.Addr.Compare)
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("bound addresses: got %v, want %v", got, want)
	}
}
