package proxy

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxy/conntrack"
	"github.com/nodenet/nodenet/proxy/conntrack/conntracktest"
)

// startUDP starts a proxier on ct with the Service and its slice, and
// runs its first sync: what a (re)started agent does.
func startUDP(t *testing.T, ct *conntracktest.Fake, svc *v1.Service, slice *discoverySlice) (*Proxier, Handlers) {
	t.Helper()
	p := NewProxier(Config{NodeName: "node-a", Conntrack: ct}, &recordingBackend{})
	h := p.Handlers()
	h.Nodes.OnNodeAdd(nodeWith(internalIP("192.168.1.10")))
	h.Services.OnServiceAdd(svc)
	if slice != nil {
		h.EndpointSlices.OnEndpointSliceAdd(slice)
	}
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	return p, h
}

// TestRestartKeepsValidUDPFlows: a restarted agent deletes the entries
// its predecessor's changes left stale (it never saw those changes) and
// keeps every valid one: it must not flush a Service's UDP flows because
// they look new to it (kubernetes#122740).
func TestRestartKeepsValidUDPFlows(t *testing.T) {
	ct := &conntracktest.Fake{}
	valid := flow("10.96.0.10", 53, "10.244.1.3")
	validNodePort := flow("192.168.1.10", 30053, "10.244.1.3")
	gone := flow("10.96.0.10", 53, "10.244.1.2")
	goneNodePort := flow("192.168.1.10", 30053, "10.244.1.2")
	blackholed := flow("10.96.0.10", 53, "10.96.0.10") // before any rule
	blackholedNP := flow("192.168.1.10", 30053, "192.168.1.10")
	unrelated := flow("10.96.0.99", 53, "10.244.1.2")
	ct.Add(valid, validNodePort, gone, goneNodePort, blackholed, blackholedNP, unrelated)
	startUDP(t, ct, udpService("dns", "10.96.0.10", 30053), udpSlice("dns", "10.244.1.3"))
	assertEntries(t, ct, valid, validNodePort, unrelated)
}

// TestRestartClearsAPortScaledToZero: a UDP port whose last endpoint went
// while the agent was down keeps no entry (kubernetes#139628).
func TestRestartClearsAPortScaledToZero(t *testing.T) {
	ct := &conntracktest.Fake{}
	unrelated := flow("10.96.0.99", 53, "10.244.1.2")
	ct.Add(flow("10.96.0.10", 53, "10.244.1.2"), unrelated)
	startUDP(t, ct, udpService("dns", "10.96.0.10", 30053), nil)
	assertEntries(t, ct, unrelated)
}

// TestFailedCleanupRetriedAtNextSync: filters that failed are kept and
// applied at the next sync, even one with nothing else to do.
func TestFailedCleanupRetriedAtNextSync(t *testing.T) {
	ct := &conntracktest.Fake{}
	p, h := startUDP(t, ct, udpService("dns", "10.96.0.10", 30053), udpSlice("dns", "10.244.1.2", "10.244.1.3"))
	stays := flow("10.96.0.10", 53, "10.244.1.3")
	ct.Add(flow("10.96.0.10", 53, "10.244.1.2"), stays)
	ct.Fail(false, errors.New("EBUSY"))
	h.EndpointSlices.OnEndpointSliceUpdate(nil, udpSlice("dns", "10.244.1.3"))
	mustSync(t, p)
	if len(ct.Entries()) != 2 {
		t.Fatalf("the failing table changed: %v", ct.Entries())
	}
	ct.Fail(false, nil)
	mustSync(t, p) // nothing changed
	assertEntries(t, ct, stays)
}

// TestFailedReconcileRetriedAtNextSync: a reconcile that could not list
// the table runs again at the next sync.
func TestFailedReconcileRetriedAtNextSync(t *testing.T) {
	ct := &conntracktest.Fake{}
	stays := flow("10.96.0.10", 53, "10.244.1.3")
	ct.Add(flow("10.96.0.10", 53, "10.244.1.2"), stays)
	ct.Fail(false, errors.New("EPERM"))
	p, _ := startUDP(t, ct, udpService("dns", "10.96.0.10", 30053), udpSlice("dns", "10.244.1.3"))
	ct.Fail(false, nil)
	mustSync(t, p)
	assertEntries(t, ct, stays)
	ct.Add(flow("10.96.0.10", 53, "10.244.1.7"))
	mustSync(t, p)
	if len(ct.Entries()) != 2 {
		t.Fatal("a partial sync with nothing to do must not reconcile again once one succeeded")
	}
}

// TestServingFrontendsKeepTerminatingEndpoints: flows to an endpoint that
// is terminating but still serving may drain; a not-serving one's may not.
func TestServingFrontendsKeepTerminatingEndpoints(t *testing.T) {
	ct := &conntracktest.Fake{}
	draining := flow("10.96.0.10", 53, "10.244.1.4")
	ct.Add(draining, flow("10.96.0.10", 53, "10.244.1.5"))
	slice := udpSlice("dns", "10.244.1.3")
	slice.Endpoints = append(slice.Endpoints, makeSlice("dns", "x", 53, terminating("10.244.1.4")).Endpoints[0],
		makeSlice("dns", "x", 53, sliceEndpoint{ip: "10.244.1.5", terminating: true}).Endpoints[0])
	startUDP(t, ct, udpService("dns", "10.96.0.10", 0), slice)
	assertEntries(t, ct, draining)
}

// TestServingFrontendsOfConnectionlessPortsOnly: UDP and SCTP frontends
// are reconciled (SCTP by its protocol number, 132), TCP ones never.
func TestServingFrontendsOfConnectionlessPortsOnly(t *testing.T) {
	table := NewTable()
	for _, proto := range []v1.Protocol{v1.ProtocolUDP, v1.ProtocolSCTP, v1.ProtocolTCP} {
		tr := NewServiceTracker(nopReporter{})
		svc := udpService(strings.ToLower(string(proto)), "10.96.0.10", 0)
		svc.Spec.Ports[0].Protocol = proto
		tr.Update(nameOf(svc), svc)
		table.Apply(tr.Checkpoint(), nil)
	}
	s := table.servingFrontends()
	for proto, want := range map[uint8]bool{17: true, 132: true, 6: false} {
		key := conntrack.AddrFrontend{Protocol: proto, Addr: netip.MustParseAddr("10.96.0.10"), Port: 53}
		if _, got := s.Addrs[key]; got != want {
			t.Errorf("protocol %d reconciled: %v, want %v", proto, got, want)
		}
	}
}
