package proxy

import (
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/proxy/conntrack"
)

// conntrackCleanup deletes stale UDP and SCTP conntrack entries after the
// rules that make them stale are in. It is touched by the sync goroutine
// only.
type conntrackCleanup struct {
	cleaner *conntrack.Cleaner // nil: leave conntrack alone (unit tests)
	// pending are the filters of changes seen (stale.go) still to apply:
	// those of the last sync, and those that failed before, which are
	// tried again at every sync until they go through.
	pending map[conntrack.Filter]bool
	// reconcile asks for the whole table to be compared with the
	// desired one after the next good sync (stale_reconcile.go): set at
	// start, by every full sync, and by a reconcile that failed.
	reconcile bool
	applied   bool // record saw the first apply
}

func newConntrackCleanup(k conntrack.Kernel) conntrackCleanup {
	c := conntrackCleanup{pending: map[conntrack.Filter]bool{}, reconcile: true}
	if k != nil {
		c.cleaner = &conntrack.Cleaner{Kernel: k}
	}
	return c
}

// record keeps the filters of one apply for after the next good sync:
// deleting entries before the new rules are in would only let them be
// recreated the old way. The first apply's are dropped: against the empty
// table every frontend looks as if it just got its first endpoint, and
// its filters would flush every UDP flow of every Service at each restart
// (kubernetes#122740). The reconcile after the first sync deletes just
// the stale ones instead.
func (c *conntrackCleanup) record(stale []conntrack.Filter) {
	if !c.applied {
		c.applied = true
		return
	}
	for _, f := range stale {
		c.pending[f] = true
	}
}

// afterSync runs once the kernel holds the rules of t: after every good
// sync, also one with nothing to do, so failed deletions are retried
// every sync period. Failures are logged here and kept for the next try.
func (c *conntrackCleanup) afterSync(t *Table, full bool) {
	if c.cleaner == nil {
		clear(c.pending)
		return
	}
	c.reconcile = c.reconcile || full
	c.deletePending()
	if c.reconcile {
		c.reconcileWith(t)
	}
}

func (c *conntrackCleanup) deletePending() {
	if len(c.pending) == 0 {
		return
	}
	filters := make([]conntrack.Filter, 0, len(c.pending))
	for f := range c.pending {
		filters = append(filters, f)
	}
	clear(c.pending)
	n, failed, err := c.cleaner.Delete(filters)
	for _, f := range failed {
		c.pending[f] = true
	}
	if err != nil {
		klog.ErrorS(err, "Failed to delete stale conntrack entries; retrying at the next sync", "filters", len(filters), "failedFilters", len(failed), "deleted", n)
		return
	}
	klog.V(2).InfoS("Deleted stale conntrack entries", "entries", n, "filters", len(filters))
}

func (c *conntrackCleanup) reconcileWith(t *Table) {
	n, err := c.cleaner.Reconcile(t.servingFrontends())
	c.reconcile = err != nil
	if err != nil {
		klog.ErrorS(err, "Failed to reconcile conntrack entries; retrying at the next sync", "deleted", n)
		return
	}
	klog.V(2).InfoS("Reconciled conntrack entries", "deleted", n)
}
