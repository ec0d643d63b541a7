package proxy

import (
	"sync"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ServiceTracker records Service changes between syncs. It keeps only the
// net change per Service and forgets changes that cancel out, so an
// update that does not alter what is programmed costs no sync work.
type ServiceTracker struct {
	mu      sync.Mutex
	changes changeTracker[*ServicePort]
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
		changes:   newChangeTracker[*ServicePort](),
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
		pending = t.changes.record(other, resolved) || pending
	}
	if pending {
		serviceChangesTotal.Inc()
	}
	serviceChangesPending.Set(float64(len(t.changes.pending)))
	return pending
}

// Checkpoint hands over the pending changes and starts a new batch.
func (t *ServiceTracker) Checkpoint() map[types.NamespacedName]*serviceChange {
	t.mu.Lock()
	defer t.mu.Unlock()
	serviceChangesPending.Set(0)
	return t.changes.checkpoint()
}

// Pending tells whether a change waits for the next sync.
func (t *ServiceTracker) Pending() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.changes.pending) > 0
}
