package iptables

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables/iptablestest"
)

// TestTopologyHintsTrace: the backend renders what the core's targets say,
// so a topology-aware Service's packets reach only the endpoints hinted
// for this node's zone, and all of them once a hint is missing.
func TestTopologyHintsTrace(t *testing.T) {
	table := webTable()
	table.Node.Zone = "zone-a"
	web := svcName("web")
	table.Services[web].TopologyAware = true
	table.Endpoints[web][0].ZoneHints = "zone-a"
	table.Endpoints[web][1].ZoneHints = "zone-b"
	b, f := syncedFake(t, table)
	pod := iptablestest.TCPPacket("10.244.2.5", "10.96.0.10", 80, iptablestest.FromOutside)
	got, err := f.Trace(pod)
	if err != nil {
		t.Fatal(err)
	}
	iptablestest.AssertOutcomes(t, got, spread(false, 1, "10.244.1.2:8080"))

	table.Endpoints[web][1].ZoneHints = ""
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatal(err)
	}
	got, err = f.Trace(pod)
	if err != nil {
		t.Fatal(err)
	}
	iptablestest.AssertOutcomes(t, got, spread(false, 0.5, "10.244.1.2:8080", "10.244.1.3:8080"))
}
