package iptables

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables/iptablestest"
)

func TestHairpinTrace(t *testing.T) {
	table := webTable()
	web := svcName("web")
	table.Endpoints[web][0].IsLocal = true // 10.244.1.2 runs on this node
	b, f := syncedFake(t, table)

	got, err := f.Trace(iptablestest.TCPPacket("10.244.1.2", "10.96.0.10", 80, iptablestest.FromOutside))
	if err != nil {
		t.Fatal(err)
	}
	want := []iptablestest.Outcome{
		{Verdict: iptablestest.Accept, DNAT: ap("10.244.1.2:8080"), Masqueraded: true, Probability: 0.5},
		{Verdict: iptablestest.Accept, DNAT: ap("10.244.1.3:8080"), Masqueraded: false, Probability: 0.5},
	}
	iptablestest.AssertOutcomes(t, got, want)

	// The endpoint leaves: its hairpin rule goes in a partial sync.
	table.Endpoints[web] = table.Endpoints[web][1:]
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(f.Dump(), "-s 10.244.1.2/32 -d 10.244.1.2/32") {
		t.Errorf("hairpin rule of a removed endpoint is still there:\n%s", f.Dump())
	}
}

func TestHairpinChainUntouchedWhenLocalEndpointsStay(t *testing.T) {
	table := webTable()
	web := svcName("web")
	table.Endpoints[web][0].IsLocal = true
	b, f := syncedFake(t, table)
	empty := svcName("empty")
	table.Endpoints[empty] = readyEndpoints("10.244.9.9:80")
	if err := b.Sync(table, sets.New(empty), false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(f.LastPayload(), natHairpin) {
		t.Errorf("a change to remote endpoints rewrote the hairpin chain:\n%s", f.LastPayload())
	}
}
