package proxy

import (
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/component-base/metrics"
)

// kube-proxy's change metrics, same names, types and buckets.
var (
	// networkProgrammingLatency is the time from a change of a Service's
	// pods (the endpointslice controller's
	// endpoints.kubernetes.io/last-change-trigger-time annotation) to the
	// rules for it being in the kernel, by the slice's address family.
	networkProgrammingLatency = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Subsystem: "kubeproxy",
		Name:      "network_programming_duration_seconds",
		Help:      "In Cluster Network Programming Latency in seconds",
		Buckets: metrics.MergeBuckets(
			metrics.LinearBuckets(0.25, 0.25, 2), // 0.25s, 0.50s
			metrics.LinearBuckets(1, 1, 59),      // 1s, 2s, 3s, ... 59s
			metrics.LinearBuckets(60, 5, 12),     // 60s, 65s, 70s, ... 115s
			metrics.LinearBuckets(120, 30, 7),    // 2min, 2.5min, 3min, ..., 5min
		),
		StabilityLevel: metrics.ALPHA,
	}, []string{"ip_family"})
	endpointChangesPending = metrics.NewGauge(&metrics.GaugeOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_endpoint_changes_pending",
		Help:           "Pending proxy rules Endpoint changes",
		StabilityLevel: metrics.ALPHA,
	})
	endpointChangesTotal = metrics.NewCounter(&metrics.CounterOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_endpoint_changes_total",
		Help:           "Cumulative proxy rules Endpoint changes",
		StabilityLevel: metrics.ALPHA,
	})
	serviceChangesPending = metrics.NewGauge(&metrics.GaugeOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_service_changes_pending",
		Help:           "Pending proxy rules Service changes",
		StabilityLevel: metrics.ALPHA,
	})
	serviceChangesTotal = metrics.NewCounter(&metrics.CounterOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_service_changes_total",
		Help:           "Cumulative proxy rules Service changes",
		StabilityLevel: metrics.ALPHA,
	})
)

// triggerTime is when a change to a Service's pods happened, as the
// EndpointSlice's writer saw it.
type triggerTime struct {
	family string // ip_family label: "IPv4" or "IPv6"
	at     time.Time
}

// sliceTriggerTime reads the slice's last-change-trigger-time annotation.
// ok is false without one (the slice's writer does not set it), when it
// does not parse, or when it is older than since (the tracker's start:
// after a restart the initial list would report every Service's last
// change as latency, as kube-proxy also avoids).
func sliceTriggerTime(slice *discovery.EndpointSlice, since time.Time) (triggerTime, bool) {
	raw, ok := slice.Annotations[v1.EndpointsLastChangeTriggerTime]
	if !ok {
		return triggerTime{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil || !at.After(since) {
		return triggerTime{}, false
	}
	family := "IPv4"
	if slice.AddressType == discovery.AddressTypeIPv6 {
		family = "IPv6"
	}
	return triggerTime{family: family, at: at}, true
}

// observeProgrammed records the latency of each change now in the kernel.
func observeProgrammed(triggers []triggerTime, now time.Time) {
	for _, tt := range triggers {
		networkProgrammingLatency.WithLabelValues(tt.family).Observe(now.Sub(tt.at).Seconds())
	}
}
