package nftables

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// kube-proxy's nftables-mode failure counters (pkg/proxy/metrics): same
// names, types, labels and meaning, so its alerts keep working. The
// proxier core leaves this backend's failures out of
// sync_proxy_rules_iptables_restore_failures_total (CountsSyncFailures).
var (
	syncFailures = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_nftables_sync_failures_total",
		Help:           "Cumulative proxy nftables sync failures",
		StabilityLevel: metrics.ALPHA,
	}, []string{"ip_family"})
	// cleanupFailures counts failed deletions of the chains and sets a sync
	// left unused (deleteStale), kube-proxy's stale chain cleanup.
	cleanupFailures = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_nftables_cleanup_failures_total",
		Help:           "Cumulative proxy nftables cleanup failures",
		StabilityLevel: metrics.ALPHA,
	}, []string{"ip_family"})
	registerMetricsOnce sync.Once
)

func registerMetrics() {
	registerMetricsOnce.Do(func() {
		legacyregistry.MustRegister(syncFailures, cleanupFailures)
	})
}

// CountsSyncFailures implements proxy.OwnFailureMetric.
func (b *Backend) CountsSyncFailures() bool { return true }
