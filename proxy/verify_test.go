package proxy

import (
	"testing"
	"time"
)

// brokenBackend records syncs and says its rules were flushed.
type brokenBackend struct {
	recordingBackend
	intact   bool
	verified int // Intact calls
}

func (b *brokenBackend) Intact() (bool, error) {
	b.verified++
	return b.intact, nil
}

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

// TestNoVerifyRightAfterAFullSync: a full sync wrote everything, so idle
// syncs within the next sync period do not ask the backend to verify
// (at 10k Services in nftables mode that cost seconds right after a cold
// start, held by the sync goroutine while the first change waited).
func TestNoVerifyRightAfterAFullSync(t *testing.T) {
	b := &brokenBackend{intact: true}
	p := NewProxier(Config{NodeName: "node-a", SyncPeriod: time.Hour}, b)
	h := p.Handlers()
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p) // the first, full
	mustSync(t, p) // idle
	if len(b.calls) != 1 || !b.calls[0].full || b.verified != 0 {
		t.Fatalf("calls %+v, Intact asked %d times; want one full sync and no verify", b.calls, b.verified)
	}
}
