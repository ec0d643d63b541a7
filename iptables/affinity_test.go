package iptables

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables/iptablestest"
)

func TestSessionAffinityTrace(t *testing.T) {
	table := webTable()
	web := svcName("web")
	table.Services[web].StickyMaxAgeSeconds = 600
	_, f := syncedFake(t, table)
	eps := table.Endpoints[web]
	pod := iptablestest.TCPPacket("10.244.2.5", "10.96.0.10", 80, iptablestest.FromOutside)

	got, err := f.Trace(pod)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("a new client must be spread over both endpoints: %v", got)
	}
	for _, ep := range eps {
		sticky := pod
		sticky.Recent = []string{recentName(web, ep)}
		got, err := f.Trace(sticky)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].DNAT != ep.AddrPort() {
			t.Errorf("client remembered at %s reached %v", ep.AddrPort(), got)
		}
	}
	// The NodePort shares the Service port's affinity lists.
	np := iptablestest.TCPPacket("192.0.2.1", nodeAddr.String(), 30080, iptablestest.FromOutside)
	np.Recent = []string{recentName(web, eps[1])}
	if got, err := f.Trace(np); err != nil || len(got) != 1 || got[0].DNAT != eps[1].AddrPort() {
		t.Errorf("NodePort with affinity reached %v (%v)", got, err)
	}
}

func TestAffinityRemovedWithTheSetting(t *testing.T) {
	table := webTable()
	web := svcName("web")
	table.Services[web].StickyMaxAgeSeconds = 600
	b, f := syncedFake(t, table)
	table.Services[web].StickyMaxAgeSeconds = 0
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatal(err)
	}
	p := iptablestest.TCPPacket("10.244.2.5", "10.96.0.10", 80, iptablestest.FromOutside)
	p.Recent = []string{recentName(web, table.Endpoints[web][0])}
	if got, _ := f.Trace(p); len(got) != 2 {
		t.Errorf("without affinity a remembered client must still be spread: %v", got)
	}
}
