package proxy

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
)

// blockingBackend holds every Sync until released, like a long restore.
type blockingBackend struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingBackend) Sync(*Table, sets.Set[ServicePortName], bool) error {
	b.entered <- struct{}{}
	<-b.release
	return nil
}

// TestHealthAndHandlersDoNotWaitForTheKernel: /healthz, dump and informer
// handlers must answer while a (long) apply is in progress.
func TestHealthAndHandlersDoNotWaitForTheKernel(t *testing.T) {
	b := &blockingBackend{entered: make(chan struct{}), release: make(chan struct{})}
	p := NewProxier(Config{NodeName: "node-a", SyncPeriod: time.Minute}, b)
	h := p.Handlers()
	h.Services.OnServiceAdd(makeService("web", "10.96.0.1"))
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	done := make(chan error)
	go func() { done <- p.sync() }()
	<-b.entered
	answered := make(chan struct{})
	go func() {
		p.Health()
		p.Snapshot()
		h.Services.OnServiceAdd(makeService("db", "10.96.0.2"))
		close(answered)
	}()
	select {
	case <-answered:
	case <-time.After(5 * time.Second):
		t.Fatal("health, dump or a handler waited for the backend")
	}
	close(b.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
