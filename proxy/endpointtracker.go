package proxy

import (
	"sync"

	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// EndpointTracker caches EndpointSlices per Service and records, per
// Service, how its merged endpoints changed between syncs.
type EndpointTracker struct {
	nodeName string
	mu       sync.Mutex
	slices   map[types.NamespacedName]map[string]*discovery.EndpointSlice
	changes  changeTracker[[]Endpoint]
	// problems hears of invalid slice entries, once each.
	problems *problems
}

// NewEndpointTracker returns an empty tracker for the node nodeName; r
// hears of slices with invalid entries, which are skipped (nil: log them).
func NewEndpointTracker(nodeName string, r Reporter) *EndpointTracker {
	return &EndpointTracker{
		nodeName: nodeName,
		problems: newProblems(r),
		slices:   map[types.NamespacedName]map[string]*discovery.EndpointSlice{},
		changes:  newChangeTracker[[]Endpoint](),
	}
}

// Update records slice as current (removed: deleted). It returns true when
// a change is pending for the slice's Service afterwards.
func (t *EndpointTracker) Update(slice *discovery.EndpointSlice, removed bool) bool {
	svc, ok := serviceNameOf(slice)
	if !ok {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.checkSlice(slice, removed)
	t.storeSlice(svc, slice, removed)
	return t.changes.record(svc, endpointsFromSlices(svc, t.slices[svc], t.nodeName))
}

func (t *EndpointTracker) storeSlice(svc types.NamespacedName, slice *discovery.EndpointSlice, removed bool) {
	if removed {
		delete(t.slices[svc], slice.Name)
		if len(t.slices[svc]) == 0 {
			delete(t.slices, svc)
		}
		return
	}
	if t.slices[svc] == nil {
		t.slices[svc] = map[string]*discovery.EndpointSlice{}
	}
	t.slices[svc][slice.Name] = slice
}

// Checkpoint hands over the pending changes and starts a new batch.
func (t *EndpointTracker) Checkpoint() map[types.NamespacedName]*endpointsChange {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.changes.checkpoint()
}

// Pending tells whether a change waits for the next sync.
func (t *EndpointTracker) Pending() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.changes.pending) > 0
}
