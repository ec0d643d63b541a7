package proxy

import (
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxy/conntrack"
	"github.com/nodenet/nodenet/proxy/conntrack/conntracktest"
)

func udpService(name, ip string, nodePort int32, mutate ...func(*v1.Service)) *v1.Service {
	return makeService(name, ip, append([]func(*v1.Service){func(s *v1.Service) {
		s.Spec.Type = v1.ServiceTypeNodePort
		s.Spec.Ports[0].Protocol = v1.ProtocolUDP
		s.Spec.Ports[0].Port = 53
		s.Spec.Ports[0].NodePort = nodePort
	}}, mutate...)...)
}

func udpSlice(service string, ips ...string) *discoverySlice {
	s := makeSlice(service, service+"-1", 53)
	s.Ports[0].Protocol = ptrProto(v1.ProtocolUDP)
	for _, ip := range ips {
		s.Endpoints = append(s.Endpoints, makeSlice(service, "x", 53, ready(ip)).Endpoints[0])
	}
	return s
}

// flow is a tracked UDP flow from a client to a frontend, answered by ep.
func flow(dst string, port uint16, ep string) conntrack.Entry {
	e := conntrack.Entry{Protocol: 17, OrigSrc: netip.MustParseAddr("10.244.2.9"), OrigDstPort: port, ReplySrc: netip.MustParseAddr(ep)}
	if dst != "" {
		e.OrigDst = netip.MustParseAddr(dst)
	}
	return e
}

func TestStaleUDPFlowsDeletedAfterSync(t *testing.T) {
	ct := &conntracktest.Fake{}
	p := NewProxier(Config{NodeName: "node-a", Conntrack: ct}, &recordingBackend{})
	h := p.Handlers()
	h.Services.OnServiceAdd(udpService("dns", "10.96.0.10", 30053))
	h.EndpointSlices.OnEndpointSliceAdd(udpSlice("dns", "10.244.1.2", "10.244.1.3"))
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)

	gone, stays := flow("10.96.0.10", 53, "10.244.1.2"), flow("10.96.0.10", 53, "10.244.1.3")
	goneNodePort := flow("192.168.1.10", 30053, "10.244.1.2")
	unrelated := flow("10.96.0.99", 53, "10.244.1.2")
	for _, e := range []conntrack.Entry{gone, stays, goneNodePort, unrelated} {
		ct.Add(e)
	}
	h.EndpointSlices.OnEndpointSliceUpdate(nil, udpSlice("dns", "10.244.1.3"))
	mustSync(t, p)
	assertEntries(t, ct, stays, unrelated)
}

func TestFirstEndpointClearsFlowsToTheServiceAddress(t *testing.T) {
	ct := &conntracktest.Fake{}
	p := NewProxier(Config{NodeName: "node-a", Conntrack: ct}, &recordingBackend{})
	h := p.Handlers()
	h.Services.OnServiceAdd(udpService("dns", "10.96.0.10", 30053))
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	// Recorded while the Service had no endpoint (the packets went nowhere).
	blackholed := conntrack.Entry{Protocol: 17, OrigSrc: netip.MustParseAddr("10.244.2.9"), OrigDst: netip.MustParseAddr("10.96.0.10"), OrigDstPort: 53, ReplySrc: netip.MustParseAddr("10.96.0.10")}
	other := flow("10.96.0.11", 53, "10.244.1.7")
	ct.Add(blackholed)
	ct.Add(other)
	h.EndpointSlices.OnEndpointSliceAdd(udpSlice("dns", "10.244.1.2"))
	mustSync(t, p)
	assertEntries(t, ct, other)
}

func TestTCPFlowsAreLeftAlone(t *testing.T) {
	ct := &conntracktest.Fake{}
	p := NewProxier(Config{NodeName: "node-a", Conntrack: ct}, &recordingBackend{})
	h := p.Handlers()
	h.Services.OnServiceAdd(makeService("web", "10.96.0.10"))
	h.EndpointSlices.OnEndpointSliceAdd(makeSlice("web", "web-1", 8080, ready("10.244.1.2")))
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	h.EndpointSlices.OnEndpointSliceDelete(makeSlice("web", "web-1", 8080, ready("10.244.1.2")))
	mustSync(t, p)
	if calls := ct.Calls(); len(calls) != 0 {
		t.Errorf("TCP changes must not touch conntrack: %v", calls)
	}
}

func TestStaleFlowsWaitForASuccessfulSync(t *testing.T) {
	ct := &conntracktest.Fake{}
	b := &recordingBackend{}
	p := NewProxier(Config{NodeName: "node-a", Conntrack: ct}, b)
	h := p.Handlers()
	h.Services.OnServiceAdd(udpService("dns", "10.96.0.10", 0))
	h.EndpointSlices.OnEndpointSliceAdd(udpSlice("dns", "10.244.1.2"))
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	ct.Add(flow("10.96.0.10", 53, "10.244.1.2"))
	b.fail = errFake
	h.EndpointSlices.OnEndpointSliceUpdate(nil, udpSlice("dns"))
	if err := p.sync(); err == nil {
		t.Fatal("want the backend failure")
	}
	if len(ct.Entries()) != 1 {
		t.Fatal("entries must stay while the old rules may still be in the kernel")
	}
	b.fail = nil
	mustSync(t, p)
	assertEntries(t, ct)
}

func assertEntries(t *testing.T, ct *conntracktest.Fake, want ...conntrack.Entry) {
	t.Helper()
	got := ct.Entries()
	if len(got) != len(want) {
		t.Fatalf("conntrack holds %v, want %v (calls %v)", got, want, ct.Calls())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("conntrack holds %v, want %v", got, want)
		}
	}
}

// TestFirstEndpointOfAFamily: a dual-stack UDP NodePort that had IPv4
// endpoints and gets its first IPv6 one loses its IPv6 entries (which went
// nowhere) and keeps its IPv4 ones.
func TestFirstEndpointOfAFamily(t *testing.T) {
	ct := &conntracktest.Fake{}
	p := NewProxier(Config{NodeName: "node-a", Conntrack: ct}, &recordingBackend{})
	h := p.Handlers()
	h.Services.OnServiceAdd(udpService("dns", "10.96.0.10", 30053, func(s *v1.Service) {
		s.Spec.ClusterIPs = []string{"10.96.0.10", "fd00:96::a"}
	}))
	h.EndpointSlices.OnEndpointSliceAdd(udpSlice("dns", "10.244.1.2"))
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	v4 := flow("192.168.1.10", 30053, "10.244.1.2")
	v6 := conntrack.Entry{Protocol: 17, OrigSrc: netip.MustParseAddr("2001:db8::9"), OrigDst: netip.MustParseAddr("2001:db8::1"), OrigDstPort: 30053, ReplySrc: netip.MustParseAddr("2001:db8::1")}
	ct.Add(v4)
	ct.Add(v6)
	s6 := udpSlice("dns", "fd00:244::2")
	s6.Name, s6.AddressType = "dns-6", "IPv6"
	h.EndpointSlices.OnEndpointSliceAdd(s6)
	mustSync(t, p)
	assertEntries(t, ct, v4)
}
