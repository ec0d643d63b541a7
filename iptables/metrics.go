package iptables

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// No RSS metric for iptables-restore: a child's ru_maxrss on Linux starts
// from the parent's high-water mark at exec, so it would report the agent's
// size. The benchmark measures restore memory with GNU time instead.
var (
	restoreLines = metrics.NewHistogram(&metrics.HistogramOpts{
		Subsystem:      "nodenet",
		Name:           "iptables_restore_lines",
		Help:           "Lines in each iptables-restore payload",
		Buckets:        metrics.ExponentialBuckets(1, 4, 10),
		StabilityLevel: metrics.ALPHA,
	})
	// The three below are kube-proxy's (pkg/proxy/metrics, iptables mode):
	// same names, types, labels and meaning.
	rulesTotal = metrics.NewGaugeVec(&metrics.GaugeOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_iptables_total",
		Help:           "Total number of iptables rules owned by kube-proxy",
		StabilityLevel: metrics.ALPHA,
	}, []string{"table", "ip_family"})
	rulesLastSync = metrics.NewGaugeVec(&metrics.GaugeOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_iptables_last",
		Help:           "Number of iptables rules written by kube-proxy in last sync",
		StabilityLevel: metrics.ALPHA,
	}, []string{"table", "ip_family"})
	partialRestoreFailures = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_iptables_partial_restore_failures_total",
		Help:           "Cumulative proxy iptables partial restore failures",
		StabilityLevel: metrics.ALPHA,
	}, []string{"ip_family"})
	registerMetricsOnce sync.Once
)

func registerMetrics() {
	registerMetricsOnce.Do(func() {
		legacyregistry.MustRegister(restoreLines, rulesTotal, rulesLastSync, partialRestoreFailures)
		legacyregistry.CustomMustRegister(&acctCollector{acct: NetlinkAccounting{}})
	})
}
