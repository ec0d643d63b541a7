package proxy

import (
	"sync"
	"time"

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
	// triggers are the trigger times of the pending changes, per Service;
	// checkpointed, those of the last Checkpoint (see TakeTriggerTimes).
	triggers     map[types.NamespacedName][]triggerTime
	checkpointed []triggerTime
	started      time.Time
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
		triggers: map[types.NamespacedName][]triggerTime{},
		started:  time.Now(),
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
	pending := t.changes.record(svc, endpointsFromSlices(svc, t.slices[svc], t.nodeName))
	t.noteChange(svc, slice, removed, pending)
	return pending
}

// noteChange keeps kube-proxy's change metrics and the slice's trigger
// time (metrics_changes.go). A Service back where the kernel is has
// nothing to program, so no latency either.
func (t *EndpointTracker) noteChange(svc types.NamespacedName, slice *discovery.EndpointSlice, removed, pending bool) {
	endpointChangesPending.Set(float64(len(t.changes.pending)))
	if !pending {
		delete(t.triggers, svc)
		return
	}
	endpointChangesTotal.Inc()
	if tt, ok := sliceTriggerTime(slice, t.started); ok && !removed {
		t.triggers[svc] = append(t.triggers[svc], tt)
	}
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
	for _, tts := range t.triggers {
		t.checkpointed = append(t.checkpointed, tts...)
	}
	t.triggers = map[types.NamespacedName][]triggerTime{}
	endpointChangesPending.Set(0)
	return t.changes.checkpoint()
}

// TakeTriggerTimes returns the trigger times of the changes handed over
// by Checkpoint (and of earlier ones put back with RestoreTriggerTimes);
// the proxier observes them once those changes are in the kernel.
func (t *EndpointTracker) TakeTriggerTimes() []triggerTime {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.checkpointed
	t.checkpointed = nil
	return out
}

// RestoreTriggerTimes keeps tts for the next sync after a failed one.
func (t *EndpointTracker) RestoreTriggerTimes(tts []triggerTime) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.checkpointed = append(tts, t.checkpointed...)
}

// Pending tells whether a change waits for the next sync.
func (t *EndpointTracker) Pending() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.changes.pending) > 0
}
