package proxy

import (
	"reflect"
	"sync"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// serviceChange is the net change of one Service since the last checkpoint:
// its ports as last programmed and as they should be now.
type serviceChange struct {
	previous map[ServicePortName]*ServicePort
	current  map[ServicePortName]*ServicePort
}

// ServiceTracker records Service changes between syncs. It keeps only the
// net change per Service and forgets changes that cancel out, so an
// update that does not alter what is programmed costs no sync work.
type ServiceTracker struct {
	mu      sync.Mutex
	known   map[types.NamespacedName]map[ServicePortName]*ServicePort
	pending map[types.NamespacedName]*serviceChange
	report  func(svc *v1.Service, err error)
}

// NewServiceTracker returns an empty tracker; report is called for every
// Service that is skipped because it is malformed.
func NewServiceTracker(report func(*v1.Service, error)) *ServiceTracker {
	return &ServiceTracker{
		known:   map[types.NamespacedName]map[ServicePortName]*ServicePort{},
		pending: map[types.NamespacedName]*serviceChange{},
		report:  report,
	}
}

// Update records that svc is now current (nil: deleted) under name. It
// returns true when a change is pending for that Service afterwards.
func (t *ServiceTracker) Update(name types.NamespacedName, svc *v1.Service) bool {
	current, err := servicePortsFor(svc)
	if err != nil {
		t.report(svc, err)
		current = nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	change, ok := t.pending[name]
	if !ok {
		change = &serviceChange{previous: t.known[name]}
		t.pending[name] = change
	}
	change.current = current
	if current == nil {
		delete(t.known, name)
	} else {
		t.known[name] = current
	}
	if reflect.DeepEqual(change.previous, change.current) {
		delete(t.pending, name)
		return false
	}
	return true
}

// Checkpoint hands over the pending changes and starts a new batch.
func (t *ServiceTracker) Checkpoint() map[types.NamespacedName]*serviceChange {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.pending
	t.pending = map[types.NamespacedName]*serviceChange{}
	return out
}

// Pending tells whether a change waits for the next sync.
func (t *ServiceTracker) Pending() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending) > 0
}

func logServiceSkipped(svc *v1.Service, err error) {
	klog.ErrorS(err, "Skipping malformed Service; other Services are unaffected", "service", klog.KObj(svc))
}
