package proxy

import (
	v1 "k8s.io/api/core/v1"
	"k8s.io/component-base/metrics"
)

// noLocalEndpoints is kube-proxy's count, per sync and family, of the
// Service ports whose traffic policy is Local while this node has none of
// their endpoints (traffic through that policy is dropped here); ports
// without any endpoint are rejected instead and not counted.
var noLocalEndpoints = metrics.NewGaugeVec(&metrics.GaugeOpts{
	Subsystem:      "kubeproxy",
	Name:           "sync_proxy_rules_no_local_endpoints_total",
	Help:           "Number of services with a Local traffic policy and no endpoints",
	StabilityLevel: metrics.ALPHA,
}, []string{"traffic_policy", "ip_family"})

func recordNoLocalEndpoints(t *Table, family v1.IPFamily) {
	internal, external := countNoLocalEndpoints(t, family == v1.IPv4Protocol)
	noLocalEndpoints.WithLabelValues("internal", string(family)).Set(float64(internal))
	noLocalEndpoints.WithLabelValues("external", string(family)).Set(float64(external))
}

func countNoLocalEndpoints(t *Table, is4 bool) (internal, external int) {
	for name, sp := range t.Services {
		if (!sp.InternalPolicyLocal && !sp.ExternalPolicyLocal) || !sp.InFamily(is4) {
			continue
		}
		if len(t.FamilyTargets(name, is4)) == 0 || len(t.FamilyLocalTargets(name, is4)) > 0 {
			continue
		}
		if sp.InternalPolicyLocal {
			internal++
		}
		if sp.ExternalPolicyLocal {
			external++
		}
	}
	return internal, external
}
