package ipvs_test

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/proxy"
)

func TestFullSyncProgramsEveryFrontend(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	web := spn("ns", "web", v1.ProtocolTCP)
	w.service(web, proxy.ServicePort{ClusterIPs: addrs("10.96.0.10", "fd00::10"), NodePort: 30080,
		ExternalIPs: addrs("203.0.113.7"), LoadBalancerIPs: addrs("203.0.113.8"), StickyMaxAgeSeconds: 60},
		"10.244.1.10", "10.244.1.11", "fd00:10:244::10")
	w.sync(true)
	w.wantDump(`TCP 10.0.0.5:30080 rr persistent 60
  -> 10.244.1.10:8080 w1
  -> 10.244.1.11:8080 w1
TCP 10.96.0.10:80 rr persistent 60
  -> 10.244.1.10:8080 w1
  -> 10.244.1.11:8080 w1
TCP 192.0.2.1:30080 rr persistent 60
  -> 10.244.1.10:8080 w1
  -> 10.244.1.11:8080 w1
TCP 203.0.113.7:80 rr persistent 60
  -> 10.244.1.10:8080 w1
  -> 10.244.1.11:8080 w1
TCP 203.0.113.8:80 rr persistent 60
  -> 10.244.1.10:8080 w1
  -> 10.244.1.11:8080 w1`)
	bound, _ := w.addrs.Bound()
	if want := addrs("10.96.0.10", "203.0.113.7", "203.0.113.8"); !slices.Equal(bound, want) {
		t.Errorf("bound %v, want %v (NodePorts use the node's own addresses)", bound, want)
	}
}

func TestIPv6BackendTakesIPv6Only(t *testing.T) {
	w := newWorld(t, ipvs.Config{Family: v1.IPv6Protocol})
	web := spn("ns", "web", v1.ProtocolUDP)
	w.service(web, proxy.ServicePort{ClusterIPs: addrs("10.96.0.10", "fd00::10")}, "10.244.1.10", "fd00:10:244::10")
	w.sync(true)
	w.wantDump(`UDP [fd00::10]:80 rr
  -> [fd00:10:244::10]:8080 w1`)
}

func TestLocalPoliciesUseLocalEndpoints(t *testing.T) {
	w := newWorld(t, ipvs.Config{NodeAddrs: func([]netip.Addr) ([]netip.Addr, error) { return addrs("192.0.2.1"), nil }})
	web := spn("ns", "web", v1.ProtocolTCP)
	w.service(web, proxy.ServicePort{ClusterIPs: addrs("10.96.0.10"), NodePort: 30080, ExternalPolicyLocal: true})
	w.table.Endpoints[web] = []proxy.Endpoint{
		{Addr: netip.MustParseAddr("10.244.1.10"), Port: 8080, Ready: true, Serving: true, IsLocal: true},
		{Addr: netip.MustParseAddr("10.244.2.10"), Port: 8080, Ready: true, Serving: true},
	}
	w.sync(true)
	w.wantDump(`TCP 10.96.0.10:80 rr
  -> 10.244.1.10:8080 w1
  -> 10.244.2.10:8080 w1
TCP 192.0.2.1:30080 rr
  -> 10.244.1.10:8080 w1`)
}

func TestFullSyncDumpsTheKernelOnce(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	for i := range 50 {
		name := spn("ns", "svc"+strconv.Itoa(i), v1.ProtocolTCP)
		w.service(name, proxy.ServicePort{ClusterIPs: addrs("10.96.1." + strconv.Itoa(i+1))}, "10.244.1.10")
	}
	w.sync(true)
	w.k.ResetCounts()
	w.sync(true)
	if n := w.k.Calls["VirtualServers"]; n != 1 {
		t.Errorf("full sync listed the virtual servers %d times, want 1", n)
	}
	if len(w.k.Ops) != 0 {
		t.Errorf("a full sync with nothing to do changed the kernel: %v", w.k.Ops)
	}
}

func TestPartialSyncTouchesOnlyTheChangedPort(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	a, b := spn("ns", "a", v1.ProtocolTCP), spn("ns", "b", v1.ProtocolTCP)
	w.service(a, proxy.ServicePort{ClusterIPs: addrs("10.96.0.1")}, "10.244.1.10")
	w.service(b, proxy.ServicePort{ClusterIPs: addrs("10.96.0.2")}, "10.244.1.11")
	w.sync(true)
	w.k.ResetCounts()
	w.endpoints(b, "10.244.1.11", "10.244.1.12")
	w.sync(false, b)
	if got, want := strings.Join(w.k.Ops, "; "), "add-real 10.96.0.2:80/TCP 10.244.1.12:8080 1"; got != want {
		t.Errorf("ops %q, want %q", got, want)
	}
	if n := w.k.Calls["VirtualServers"] + w.k.Calls["RealServers"]; n != 0 {
		t.Errorf("a partial sync read the kernel %d times, want 0", n)
	}
}

func TestRemovedServiceGoesWithItsAddress(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	a := spn("ns", "a", v1.ProtocolTCP)
	w.service(a, proxy.ServicePort{ClusterIPs: addrs("10.96.0.1"), NodePort: 30001}, "10.244.1.10")
	w.sync(true)
	delete(w.table.Services, a)
	delete(w.table.Endpoints, a)
	w.sync(false, a)
	w.wantDump("")
	if bound, _ := w.addrs.Bound(); len(bound) != 0 {
		t.Errorf("still bound: %v", bound)
	}
}

func TestSharedAddressStaysWhileUsed(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	tcp, udp := spn("ns", "dns", v1.ProtocolTCP), spn("ns", "dns", v1.ProtocolUDP)
	w.service(tcp, proxy.ServicePort{ClusterIPs: addrs("10.96.0.10"), Port: 53}, "10.244.1.10")
	w.service(udp, proxy.ServicePort{ClusterIPs: addrs("10.96.0.10"), Port: 53}, "10.244.1.10")
	w.sync(true)
	delete(w.table.Services, tcp)
	w.sync(false, tcp)
	if bound, _ := w.addrs.Bound(); !slices.Equal(bound, addrs("10.96.0.10")) {
		t.Errorf("bound %v: the UDP port still needs 10.96.0.10", bound)
	}
}
