package proxy

import "testing"

// brokenBackend records syncs and says its rules were flushed.
type brokenBackend struct {
	recordingBackend
	intact bool
}

func (b *brokenBackend) Intact() (bool, error) { return b.intact, nil }

func TestFlushedRulesAreRepairedByAFullSync(t *testing.T) {
	b := &brokenBackend{intact: true}
	p := NewProxier(Config{NodeName: "node-a"}, b)
	h := p.Handlers()
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	mustSync(t, p)
	if len(b.calls) != 1 {
		t.Fatalf("%d backend calls, want 1: intact rules need no sync", len(b.calls))
	}
	b.intact = false
	mustSync(t, p)
	if len(b.calls) != 2 || !b.calls[1].full {
		t.Fatalf("calls %+v, want a full sync once the rules are gone", b.calls)
	}
}
