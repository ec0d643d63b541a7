package proxy

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// Metric names, types and labels follow kube-proxy's (subsystem
// "kubeproxy", pkg/proxy/metrics) where the meaning is the same, so
// dashboards and alerts built for kube-proxy keep working; the sync
// metrics are per IP family (label ip_family, "IPv4" or "IPv6") as
// kube-proxy runs one proxier per family. test/cluster compares them with
// a running kube-proxy's.
var (
	syncDuration = familyHistogram("sync_proxy_rules_duration_seconds",
		"SyncProxyRules latency in seconds")
	syncFullDuration = familyHistogram("sync_full_proxy_rules_duration_seconds",
		"SyncProxyRules latency in seconds for full resyncs")
	syncPartialDuration = familyHistogram("sync_partial_proxy_rules_duration_seconds",
		"SyncProxyRules latency in seconds for partial resyncs")
	lastSyncTimestamp = metrics.NewGaugeVec(&metrics.GaugeOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_last_timestamp_seconds",
		Help:           "The last time proxy rules were successfully synced",
		StabilityLevel: metrics.ALPHA,
	}, []string{"ip_family"})
	lastQueuedTimestamp = metrics.NewGaugeVec(&metrics.GaugeOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_last_queued_timestamp_seconds",
		Help:           "The last time a sync of proxy rules was queued",
		StabilityLevel: metrics.ALPHA,
	}, []string{"ip_family"})
	syncFailures = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      "kubeproxy",
		Name:           "sync_proxy_rules_iptables_restore_failures_total",
		Help:           "Cumulative proxy iptables restore failures",
		StabilityLevel: metrics.ALPHA,
	}, []string{"ip_family"})
	servicePortsGauge = metrics.NewGauge(&metrics.GaugeOpts{
		Subsystem:      "nodenet",
		Name:           "service_ports",
		Help:           "Number of Service ports in the desired table",
		StabilityLevel: metrics.ALPHA,
	})
)

func familyHistogram(name, help string) *metrics.HistogramVec {
	return metrics.NewHistogramVec(&metrics.HistogramOpts{
		Subsystem:      "kubeproxy",
		Name:           name,
		Help:           help,
		Buckets:        metrics.ExponentialBuckets(0.001, 2, 15),
		StabilityLevel: metrics.ALPHA,
	}, []string{"ip_family"})
}

var registerOnce sync.Once

func registerMetrics() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(syncDuration, syncFullDuration, syncPartialDuration, lastSyncTimestamp, lastQueuedTimestamp, syncFailures,
			servicePortsGauge, frontendConflictsGauge, networkProgrammingLatency, noLocalEndpoints,
			endpointChangesTotal, endpointChangesPending, serviceChangesTotal, serviceChangesPending)
	})
}
