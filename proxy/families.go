package proxy

import (
	"errors"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// FamilyBackend is the backend of one IP family (each family has its own
// tables: iptables-restore and ip6tables-restore).
type FamilyBackend struct {
	Family  v1.IPFamily
	Backend Backend
	// failed: the last Sync of this family failed, so its kernel state is
	// unknown and its next Sync must be full.
	failed bool
}

// FamilyBackends drives one backend per IP family the node supports. Each
// family fails on its own: a failed IPv6 apply neither stops the IPv4 one
// nor makes the next IPv4 sync full; only the failed family resyncs in
// full, while the others keep their incremental syncs.
type FamilyBackends struct {
	families []*FamilyBackend
}

// NewFamilyBackends returns the fan-out over backends (one per family).
func NewFamilyBackends(backends ...*FamilyBackend) *FamilyBackends {
	return &FamilyBackends{families: backends}
}

// Sync implements Backend: every family is synced, a family whose last
// sync failed in full. The errors of the failed families are joined.
func (f *FamilyBackends) Sync(t *Table, changed sets.Set[ServicePortName], full bool) error {
	var errs []error
	for _, fb := range f.families {
		start := time.Now()
		err := fb.Backend.Sync(t, changed, full || fb.failed)
		recordFamilySync(string(fb.Family), full || fb.failed, time.Since(start), err, !countsOwnFailures(fb.Backend))
		if err == nil {
			recordNoLocalEndpoints(t, fb.Family)
		}
		fb.failed = err != nil
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", fb.Family, err))
		}
	}
	return errors.Join(errs...)
}

// retriesFailures implements failureRecovery: the proxier need not make
// every family's next sync full after one family failed.
func (f *FamilyBackends) retriesFailures() bool { return true }

// failureRecovery is implemented by backends that remember which of their
// parts failed and resync those in full by themselves.
type failureRecovery interface{ retriesFailures() bool }

func recoversOwnFailures(b Backend) bool {
	r, ok := b.(failureRecovery)
	return ok && r.retriesFailures()
}

// OwnFailureMetric is implemented by backends that count their failed
// syncs under a metric of their own mode, as kube-proxy's nftables mode
// counts sync_proxy_rules_nftables_sync_failures_total. Other backends'
// failures are counted here as iptables restore failures, the metric
// kube-proxy's iptables and ipvs modes (the latter restores iptables too)
// export.
type OwnFailureMetric interface{ CountsSyncFailures() bool }

func countsOwnFailures(b Backend) bool {
	o, ok := b.(OwnFailureMetric)
	return ok && o.CountsSyncFailures()
}

// recordFamilySync keeps kube-proxy's per-family sync metrics: each
// family is one of kube-proxy's proxiers.
func recordFamilySync(family string, full bool, elapsed time.Duration, err error, countFailure bool) {
	if err != nil {
		if countFailure {
			syncFailures.WithLabelValues(family).Inc()
		}
		return
	}
	syncDuration.WithLabelValues(family).Observe(elapsed.Seconds())
	if full {
		syncFullDuration.WithLabelValues(family).Observe(elapsed.Seconds())
	} else {
		syncPartialDuration.WithLabelValues(family).Observe(elapsed.Seconds())
	}
	lastSyncTimestamp.WithLabelValues(family).SetToCurrentTime()
}

// familyLister is a backend that knows its IP families (FamilyBackends).
type familyLister interface{ ipFamilies() []v1.IPFamily }

func (f *FamilyBackends) ipFamilies() []v1.IPFamily {
	out := make([]v1.IPFamily, len(f.families))
	for i, fb := range f.families {
		out[i] = fb.Family
	}
	return out
}

// markQueued sets kube-proxy's last-queued timestamp of every family of
// b: as with kube-proxy's per-family proxiers, each hears of every change.
func markQueued(b Backend) {
	if l, ok := b.(familyLister); ok {
		for _, fam := range l.ipFamilies() {
			lastQueuedTimestamp.WithLabelValues(string(fam)).SetToCurrentTime()
		}
	}
}
