package proxy

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"

	"github.com/nodenet/nodenet/proxy/conntrack/conntracktest"
)

func preferClose(s *v1.Service) {
	s.Spec.TrafficDistribution = ptr.To(v1.ServiceTrafficDistributionPreferClose)
}

// hintZones gives the slice's endpoints, in order, the zone hints zones.
func hintZones(s *discovery.EndpointSlice, zones ...string) *discovery.EndpointSlice {
	for i, z := range zones {
		s.Endpoints[i].Hints = &discovery.EndpointHints{ForZones: []discovery.ForZone{{Name: z}}}
	}
	return s
}

// A zone change re-syncs the topology-aware Service ports, and only them,
// in a partial sync; a label change that leaves the zone alone syncs
// nothing.
func TestZoneChangeResyncsOnlyHintedPorts(t *testing.T) {
	p, b := newTestProxier()
	h := p.Handlers()
	h.Nodes.OnNodeAdd(zonedNode("zone-a"))
	h.Services.OnServiceAdd(makeService("hinted", "10.96.0.1", preferClose))
	h.Services.OnServiceAdd(makeService("plain", "10.96.0.2"))
	h.EndpointSlices.OnEndpointSliceAdd(hintZones(makeSlice("hinted", "hinted-1", 8080, ready("10.244.1.2"), ready("10.244.1.3")), "zone-a", "zone-b"))
	h.EndpointSlices.OnEndpointSliceAdd(makeSlice("plain", "plain-1", 8080, ready("10.244.1.4")))
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	hinted := ServicePortName{NamespacedName: types.NamespacedName{Namespace: "default", Name: "hinted"}, Port: "http", Protocol: v1.ProtocolTCP}
	if got := p.table.Targets(hinted); len(got) != 1 || got[0].Addr.String() != "10.244.1.2" {
		t.Fatalf("targets in zone-a = %v, want only 10.244.1.2", got)
	}

	h.Nodes.OnNodeUpdate(zonedNode("zone-a"), zonedNode("zone-b"))
	mustSync(t, p)
	last := b.calls[len(b.calls)-1]
	if len(b.calls) != 2 || last.full || !last.changed.Equal(sets.New(hinted)) {
		t.Fatalf("sync after the zone change = %+v (calls %d), want a partial sync of %v only", last, len(b.calls), hinted)
	}
	if got := p.table.Targets(hinted); len(got) != 1 || got[0].Addr.String() != "10.244.1.3" {
		t.Fatalf("targets in zone-b = %v, want only 10.244.1.3", got)
	}

	same := zonedNode("zone-b")
	same.Labels["other"] = "changed"
	h.Nodes.OnNodeUpdate(zonedNode("zone-b"), same)
	mustSync(t, p)
	if len(b.calls) != 2 {
		t.Errorf("a label change that keeps the zone must not sync (calls %d)", len(b.calls))
	}
}

// An endpoint that stops taking traffic because the node moved out of its
// zone's hints is stale like a removed one: its UDP flows go.
func TestZoneChangeClearsFlowsOfEndpointsLeftBehind(t *testing.T) {
	ct := &conntracktest.Fake{}
	p := NewProxier(Config{NodeName: "node-a", Conntrack: ct}, &recordingBackend{})
	h := p.Handlers()
	h.Nodes.OnNodeAdd(zonedNode("zone-a"))
	svc := udpService("dns", "10.96.0.10", 30053)
	preferClose(svc)
	h.Services.OnServiceAdd(svc)
	h.EndpointSlices.OnEndpointSliceAdd(hintZones(udpSlice("dns", "10.244.1.2", "10.244.1.3"), "zone-a", "zone-b"))
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)

	gone, stays := flow("10.96.0.10", 53, "10.244.1.2"), flow("10.96.0.10", 53, "10.244.1.3")
	ct.Add(gone)
	ct.Add(stays)
	h.Nodes.OnNodeUpdate(zonedNode("zone-a"), zonedNode("zone-b"))
	mustSync(t, p)
	assertEntries(t, ct, stays)
}
