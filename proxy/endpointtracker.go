package proxy

import (
	"reflect"
	"sync"
	"time"

	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// endpointsChange is the net change of one Service's endpoints since the
// last checkpoint.
type endpointsChange struct {
	previous map[ServicePortName][]Endpoint
	current  map[ServicePortName][]Endpoint
}

// EndpointTracker caches EndpointSlices per Service and records, per
// Service, how its merged endpoints changed between syncs.
type EndpointTracker struct {
	nodeName string
	mu       sync.Mutex
	slices   map[types.NamespacedName]map[string]*discovery.EndpointSlice
	known    map[types.NamespacedName]map[ServicePortName][]Endpoint
	pending  map[types.NamespacedName]*endpointsChange
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
		known:    map[types.NamespacedName]map[ServicePortName][]Endpoint{},
		pending:  map[types.NamespacedName]*endpointsChange{},
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
	current := endpointsFromSlices(svc, t.slices[svc], t.nodeName)
	if len(current) == 0 {
		current = nil
	}
	change, ok := t.pending[svc]
	if !ok {
		change = &endpointsChange{previous: t.known[svc]}
		t.pending[svc] = change
	}
	change.current = current
	if current == nil {
		delete(t.known, svc)
	} else {
		t.known[svc] = current
	}
	defer func() { endpointChangesPending.Set(float64(len(t.pending))) }()
	if reflect.DeepEqual(change.previous, change.current) {
		// Back where the kernel is: nothing to program, no latency.
		delete(t.pending, svc)
		delete(t.triggers, svc)
		return false
	}
	endpointChangesTotal.Inc()
	if tt, ok := sliceTriggerTime(slice, t.started); ok && !removed {
		t.triggers[svc] = append(t.triggers[svc], tt)
	}
	return true
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
	out := t.pending
	t.pending = map[types.NamespacedName]*endpointsChange{}
	for _, tts := range t.triggers {
		t.checkpointed = append(t.checkpointed, tts...)
	}
	t.triggers = map[types.NamespacedName][]triggerTime{}
	endpointChangesPending.Set(0)
	return out
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
	return len(t.pending) > 0
}
