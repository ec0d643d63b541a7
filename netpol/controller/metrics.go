package controller

import (
	"sync"
	"time"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/nodenet/nodenet/netpol"
)

// Metric names: subsystem "nodenet", prefix "netpol_" (kube-proxy has no
// NetworkPolicy metrics to stay compatible with).
var (
	syncDuration = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Subsystem:      "nodenet",
		Name:           "netpol_sync_duration_seconds",
		Help:           "NetworkPolicy sync latency in seconds (compute and enforce), by kind of sync (full or partial)",
		Buckets:        metrics.ExponentialBuckets(0.001, 2, 15),
		StabilityLevel: metrics.ALPHA,
	}, []string{"kind"})
	syncErrors = metrics.NewCounter(&metrics.CounterOpts{
		Subsystem:      "nodenet",
		Name:           "netpol_sync_errors_total",
		Help:           "Cumulative number of NetworkPolicy syncs the firewall failed to apply",
		StabilityLevel: metrics.ALPHA,
	})
	lastSyncTimestamp = metrics.NewGauge(&metrics.GaugeOpts{
		Subsystem:      "nodenet",
		Name:           "netpol_sync_last_timestamp_seconds",
		Help:           "The last time NetworkPolicies were successfully enforced",
		StabilityLevel: metrics.ALPHA,
	})
	isolatedPods = metrics.NewGauge(&metrics.GaugeOpts{
		Subsystem:      "nodenet",
		Name:           "netpol_isolated_pods",
		Help:           "Number of this node's pods isolated (for ingress or egress) by some NetworkPolicy",
		StabilityLevel: metrics.ALPHA,
	})
	changeWaiting = metrics.NewGauge(&metrics.GaugeOpts{
		Subsystem:      "nodenet",
		Name:           "netpol_change_waiting_seconds",
		Help:           "How long the oldest NetworkPolicy-relevant change (or the first failed sync since the last success) has waited to be enforced; 0 when none",
		StabilityLevel: metrics.ALPHA,
	})
	healthy = metrics.NewGauge(&metrics.GaugeOpts{
		Subsystem:      "nodenet",
		Name:           "netpol_healthy",
		Help:           "1 when no NetworkPolicy change has waited longer than twice the sync period, else 0 (as /healthz)",
		StabilityLevel: metrics.ALPHA,
	})
	tamperRepairs = metrics.NewCounter(&metrics.CounterOpts{
		Subsystem:      "nodenet",
		Name:           "netpol_tamper_repairs_total",
		Help:           "Cumulative number of full syncs run because someone else changed the firewall's rules (the log line names the change)",
		StabilityLevel: metrics.ALPHA,
	})
	invalidPolicies = metrics.NewGauge(&metrics.GaugeOpts{
		Subsystem:      "nodenet",
		Name:           "netpol_invalid_policies",
		Help:           "Number of invalid NetworkPolicies (they allow nothing and fail closed)",
		StabilityLevel: metrics.ALPHA,
	})
)

var registerOnce sync.Once

func registerMetrics() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(syncDuration, syncErrors, lastSyncTimestamp, isolatedPods, invalidPolicies, changeWaiting, healthy, tamperRepairs)
	})
}

func recordSync(start, end time.Time, full bool, m *netpol.Model, err error) {
	kind := "partial"
	if full {
		kind = "full"
	}
	syncDuration.WithLabelValues(kind).Observe(end.Sub(start).Seconds())
	isolatedPods.Set(float64(countIsolated(m)))
	if err != nil {
		syncErrors.Inc()
		return
	}
	lastSyncTimestamp.Set(float64(end.Unix()))
}

func countIsolated(m *netpol.Model) int {
	n := 0
	for _, r := range m.LocalPods {
		if r.Ingress.Isolated || r.Egress.Isolated {
			n++
		}
	}
	return n
}

func recordHealth(waited time.Duration, ok bool) {
	changeWaiting.Set(waited.Seconds())
	if ok {
		healthy.Set(1)
	} else {
		healthy.Set(0)
	}
}
