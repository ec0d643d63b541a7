package iptables

import (
	"os"
	"sync"
	"syscall"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

var (
	restorePeakRSS = metrics.NewGauge(&metrics.GaugeOpts{
		Subsystem:      "nodenet",
		Name:           "iptables_restore_peak_rss_bytes",
		Help:           "Largest resident set size of an iptables-restore run by this agent",
		StabilityLevel: metrics.ALPHA,
	})
	restoreLines = metrics.NewHistogram(&metrics.HistogramOpts{
		Subsystem:      "nodenet",
		Name:           "iptables_restore_lines",
		Help:           "Lines in each iptables-restore payload",
		Buckets:        metrics.ExponentialBuckets(1, 4, 10),
		StabilityLevel: metrics.ALPHA,
	})
	registerMetricsOnce sync.Once
	peakRSS             struct {
		sync.Mutex
		bytes int64
	}
)

func registerMetrics() {
	registerMetricsOnce.Do(func() { legacyregistry.MustRegister(restorePeakRSS, restoreLines) })
}

// recordChildRSS keeps the largest RSS a restore reached; Linux reports
// ru_maxrss in KiB.
func recordChildRSS(state *os.ProcessState) {
	if state == nil {
		return
	}
	ru, ok := state.SysUsage().(*syscall.Rusage)
	if !ok {
		return
	}
	peakRSS.Lock()
	defer peakRSS.Unlock()
	if b := ru.Maxrss * 1024; b > peakRSS.bytes {
		peakRSS.bytes = b
		restorePeakRSS.Set(float64(b))
	}
}
