package proxy

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// Metric names follow kube-proxy's (subsystem "kubeproxy") where the
// meaning is the same, so dashboards built for kube-proxy keep working.
var (
	syncDuration = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_duration_seconds",
		Help:           "SyncProxyRules latency in seconds, by kind of sync (full or partial)",
		Buckets:        metrics.ExponentialBuckets(0.001, 2, 15),
		StabilityLevel: metrics.ALPHA,
	}, []string{"kind"})
	lastSyncTimestamp = metrics.NewGauge(&metrics.GaugeOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_last_timestamp_seconds",
		Help:           "The last time proxy rules were successfully synced",
		StabilityLevel: metrics.ALPHA,
	})
	syncFailures = metrics.NewCounter(&metrics.CounterOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_iptables_restore_failures_total",
		Help:           "Cumulative number of failed proxy rule applies",
		StabilityLevel: metrics.ALPHA,
	})
	servicePortsGauge = metrics.NewGauge(&metrics.GaugeOpts{
		Subsystem:      "nodenet",
		Name:           "service_ports",
		Help:           "Number of Service ports in the desired table",
		StabilityLevel: metrics.ALPHA,
	})
)

var registerOnce sync.Once

func registerMetrics() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(syncDuration, lastSyncTimestamp, syncFailures, servicePortsGauge, frontendConflictsGauge)
	})
}
