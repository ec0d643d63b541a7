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
	registerMetricsOnce sync.Once
)

func registerMetrics() {
	registerMetricsOnce.Do(func() { legacyregistry.MustRegister(restoreLines) })
}
