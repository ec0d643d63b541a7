package serve

import (
	"strconv"
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// kube-proxy's counters of its health answers, by HTTP status code.
var (
	healthzTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      "kubeproxy",
		Name:           "proxy_healthz_total",
		Help:           "Cumulative proxy healthz HTTP status",
		StabilityLevel: metrics.ALPHA,
	}, []string{"code"})
	livezTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      "kubeproxy",
		Name:           "proxy_livez_total",
		Help:           "Cumulative proxy livez HTTP status",
		StabilityLevel: metrics.ALPHA,
	}, []string{"code"})
)

var registerHealthMetrics = sync.OnceFunc(func() { legacyregistry.MustRegister(healthzTotal, livezTotal) })

func countHealth(counter *metrics.CounterVec, code int) {
	counter.WithLabelValues(strconv.Itoa(code)).Inc()
}
