package proxy

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

type recordingSink struct {
	last map[types.NamespacedName]HealthCheck
}

func (r *recordingSink) SyncHealthChecks(m map[types.NamespacedName]HealthCheck) { r.last = m }

func TestProxierFeedsHealthChecks(t *testing.T) {
	sink := &recordingSink{}
	p := NewProxier(Config{NodeName: "node-a", HealthChecks: sink}, &recordingBackend{})
	h := p.Handlers()
	svc := makeService("lb", "10.96.0.10", func(s *v1.Service) {
		s.Spec.Type = v1.ServiceTypeLoadBalancer
		s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
		s.Spec.HealthCheckNodePort = 32000
	})
	slice := makeSlice("lb", "lb-1", 8080, ready("10.244.1.2"), ready("10.244.1.3"), terminating("10.244.1.4"))
	slice.Endpoints[1].NodeName = ptr.To("node-b")
	h.Services.OnServiceAdd(svc)
	h.EndpointSlices.OnEndpointSliceAdd(slice)
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	name := types.NamespacedName{Namespace: "default", Name: "lb"}
	// Only the local ready endpoint counts: remote and terminating do not.
	if got := sink.last[name]; got != (HealthCheck{NodePort: 32000, LocalEndpoints: 1}) {
		t.Errorf("health check %+v, want port 32000 with 1 local endpoint", got)
	}
	h.Services.OnServiceDelete(svc)
	mustSync(t, p)
	if len(sink.last) != 0 {
		t.Errorf("health checks %v after the Service went, want none", sink.last)
	}
}
