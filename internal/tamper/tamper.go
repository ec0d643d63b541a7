// Package tamper counts the repairs nodenet makes after someone else
// changed what it programmed, in one metric shared by the Service backends
// and the NetworkPolicy firewall, so one alert covers every surface.
package tamper

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// What was changed, the metric's "what" label (a small fixed set; the log
// line names the exact chain or set).
const (
	Hook  = "hook"  // a jump from a built-in chain into nodenet's chains: deleted, or ranked below a foreign rule
	Chain = "chain" // rules of one of nodenet's chains: flushed, deleted or added
	Set   = "set"   // members of one of nodenet's sets
	Table = "table" // a whole table or chain deleted
	Lost  = "lost"  // change notifications were lost, and a check found a difference
)

var (
	repairs = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      "nodenet",
		Name:           "tamper_repairs_total",
		Help:           "Repairs made because someone else changed nodenet's rules, hooks, chains or sets, by surface (proxy-ipv4, firewall, ...) and what was changed",
		StabilityLevel: metrics.ALPHA,
	}, []string{"surface", "what"})
	registerOnce sync.Once
)

// Repaired counts one repair of surface after a change of kind what.
func Repaired(surface, what string) {
	registerOnce.Do(func() { legacyregistry.MustRegister(repairs) })
	repairs.WithLabelValues(surface, what).Inc()
}
