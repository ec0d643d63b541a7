package proxy

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"
)

// recordingBackend remembers each Sync call and fails when told to.
type recordingBackend struct {
	calls []syncCall
	fail  error
}

type syncCall struct {
	changed  sets.Set[ServicePortName]
	full     bool
	services int
	node     NodeState
}

func (b *recordingBackend) Sync(t *Table, changed sets.Set[ServicePortName], full bool) error {
	b.calls = append(b.calls, syncCall{changed: changed.Clone(), full: full, services: len(t.Services), node: t.Node})
	return b.fail
}

func newTestProxier() (*Proxier, *recordingBackend) {
	b := &recordingBackend{}
	return NewProxier(Config{NodeName: "node-a"}, b), b
}

func TestNothingIsProgrammedBeforeBothSourcesSynced(t *testing.T) {
	p, b := newTestProxier()
	h := p.Handlers()
	h.Services.OnServiceAdd(makeService("web", "10.96.0.1"))
	h.Services.OnServicesSynced()
	if err := p.sync(); err != nil || len(b.calls) != 0 {
		t.Fatalf("synced before EndpointSlices: err %v, calls %d", err, len(b.calls))
	}
	h.EndpointSlices.OnEndpointSlicesSynced()
	if err := p.sync(); err != nil {
		t.Fatal(err)
	}
	if len(b.calls) != 1 || !b.calls[0].full || b.calls[0].services != 1 {
		t.Fatalf("first sync = %+v, want one full sync of 1 service port", b.calls)
	}
}

func TestPartialSyncCarriesOnlyTheChange(t *testing.T) {
	p, b := newTestProxier()
	h := p.Handlers()
	h.Services.OnServiceAdd(makeService("web", "10.96.0.1"))
	h.Services.OnServiceAdd(makeService("db", "10.96.0.2"))
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	h.EndpointSlices.OnEndpointSliceAdd(makeSlice("web", "web-1", 8080, ready("10.244.1.2")))
	mustSync(t, p)
	last := b.calls[len(b.calls)-1]
	if last.full || last.changed.Len() != 1 {
		t.Fatalf("sync after one slice = %+v, want a partial sync of 1 port", last)
	}
	mustSync(t, p)
	if len(b.calls) != 2 {
		t.Errorf("a sync with nothing changed must not call the backend (calls %d)", len(b.calls))
	}
}

func TestFailedSyncMakesTheNextOneFull(t *testing.T) {
	p, b := newTestProxier()
	h := p.Handlers()
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	b.fail = errors.New("iptables-restore: boom")
	h.Services.OnServiceAdd(makeService("web", "10.96.0.1"))
	if err := p.sync(); err == nil {
		t.Fatal("backend failure must be returned so the runner retries")
	}
	b.fail = nil
	mustSync(t, p)
	if last := b.calls[len(b.calls)-1]; !last.full {
		t.Fatalf("sync after a failure = %+v, want full", last)
	}
}

func TestHealthReportsOverdueChanges(t *testing.T) {
	p, _ := newTestProxier()
	p.cfg.SyncPeriod = 0
	h := p.Handlers()
	h.Services.OnServiceAdd(makeService("web", "10.96.0.1"))
	if p.Health().Healthy {
		t.Fatal("a change queued longer than the timeout must be unhealthy")
	}
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	if st := p.Health(); !st.Healthy || st.LastSynced.IsZero() {
		t.Fatalf("after sync: %+v, want healthy", st)
	}
}

func mustSync(t *testing.T, p *Proxier) {
	t.Helper()
	if err := p.sync(); err != nil {
		t.Fatal(err)
	}
}
