package proxy

import (
	"context"
	"testing"
)

// tamperedBackend records syncs and reports what tampered says.
type tamperedBackend struct {
	recordingBackend
	tampered Tampering
}

func (b *tamperedBackend) WatchTampering(ctx context.Context, _ func()) { <-ctx.Done() }

func (b *tamperedBackend) TakeTampering() (Tampering, error) {
	t := b.tampered
	b.tampered = Tampering{}
	return t, nil
}

// TestTamperingCallsTheBackendWithNothingChanged: a sync with no changed
// Service still calls the backend when it has something to repair, and
// not full (the backend repairs what it knows was touched); without a
// report it does not.
func TestTamperingCallsTheBackendWithNothingChanged(t *testing.T) {
	b := &tamperedBackend{}
	p := NewProxier(Config{NodeName: "node-a"}, b)
	h := p.Handlers()
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	mustSync(t, p)
	if len(b.calls) != 1 {
		t.Fatalf("%d backend calls, want 1: nothing to repair", len(b.calls))
	}
	b.tampered = Tampering{Surface: "proxy-ipv4", Kinds: []string{"chain"}, Changes: []string{"rule deleted: ip nat NODENET-SVC-0A"}}
	mustSync(t, p)
	if len(b.calls) != 2 || b.calls[1].full {
		t.Fatalf("calls %+v, want a second, partial sync to repair", b.calls)
	}
	mustSync(t, p)
	if len(b.calls) != 2 {
		t.Fatalf("%d backend calls, want no more once repaired", len(b.calls))
	}
}
