package proxy

import (
	"reflect"
	"sync"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
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
	claims  *frontendClaims
	// problems hears of malformed Services and lost frontends, once each.
	problems  *problems
	conflicts frontendConflicts
}

// NewServiceTracker returns an empty tracker; r hears of every Service
// that is skipped because it is malformed and every frontend (NodePort,
// or cluster, external or load-balancer IP with port and protocol) left
// out because an older Service owns it (nil: log them).
func NewServiceTracker(r Reporter) *ServiceTracker {
	return &ServiceTracker{
		known:     map[types.NamespacedName]map[ServicePortName]*ServicePort{},
		pending:   map[types.NamespacedName]*serviceChange{},
		claims:    newFrontendClaims(),
		problems:  newProblems(r),
		conflicts: frontendConflicts{},
	}
}

// Update records that svc is now current (nil: deleted) under name. It
// returns true when a change is pending afterwards for that Service or for
// one that shares a frontend with it.
func (t *ServiceTracker) Update(name types.NamespacedName, svc *v1.Service) bool {
	current, err := servicePortsFor(svc)
	t.mu.Lock()
	defer t.mu.Unlock()
	if svc == nil {
		t.problems.forget("Service", name)
	} else {
		t.problems.set(svc, name, ReasonInvalidService, err)
	}
	pending := false
	for other := range t.claims.set(name, svc, current) {
		resolved, lost := t.claims.resolved(other)
		if owner := t.claims.services[other].svc; owner != nil {
			for reason, err := range lost.errors() {
				t.problems.set(owner, other, reason, err)
			}
		}
		t.conflicts.set(other, lost.count)
		pending = t.record(other, resolved) || pending
	}
	if pending {
		serviceChangesTotal.Inc()
	}
	serviceChangesPending.Set(float64(len(t.pending)))
	return pending
}

// record makes current the ports of name and returns true when they differ
// from those last handed to a sync.
func (t *ServiceTracker) record(name types.NamespacedName, current map[ServicePortName]*ServicePort) bool {
	if len(current) == 0 {
		current = nil
	}
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
	serviceChangesPending.Set(0)
	return out
}

// Pending tells whether a change waits for the next sync.
func (t *ServiceTracker) Pending() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending) > 0
}
