package proxy

import (
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/test/objects"
)

func TestCountNoLocalEndpoints(t *testing.T) {
	local := v1.ServiceInternalTrafficPolicyLocal
	p, _ := newTestProxier()
	h := p.Handlers()
	h.Services.OnServiceAdd(makeService("itp", "10.96.0.1", func(s *v1.Service) { s.Spec.InternalTrafficPolicy = &local }))
	h.Services.OnServiceAdd(makeService("etp", "10.96.0.2", func(s *v1.Service) {
		s.Spec.Type = v1.ServiceTypeNodePort
		s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
	}))
	h.Services.OnServiceAdd(makeService("itp-here", "10.96.0.3", func(s *v1.Service) { s.Spec.InternalTrafficPolicy = &local }))
	h.Services.OnServiceAdd(makeService("itp-none", "10.96.0.4", func(s *v1.Service) { s.Spec.InternalTrafficPolicy = &local }))
	remote := func(svc string) *discoverySlice {
		s := objects.EndpointSlice("default", svc+"-1", svc, 8080)
		s.Endpoints = append(s.Endpoints, objects.Endpoint("10.244.2.7", "node-b", true, true, false))
		return s
	}
	h.EndpointSlices.OnEndpointSliceAdd(remote("itp"))
	h.EndpointSlices.OnEndpointSliceAdd(remote("etp"))
	h.EndpointSlices.OnEndpointSliceAdd(makeSlice("itp-here", "itp-here-1", 8080, ready("10.244.1.7")))
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	internal, external := countNoLocalEndpoints(p.Snapshot(), true)
	// itp and etp have only a remote endpoint; itp-here has a local one;
	// itp-none has none at all (rejected, not counted).
	if internal != 1 || external != 1 {
		t.Errorf("no local endpoints: internal %d, external %d; want 1 and 1", internal, external)
	}
	if i, e := countNoLocalEndpoints(p.Snapshot(), false); i != 0 || e != 0 {
		t.Errorf("IPv6: %d, %d; want none (IPv4-only Services)", i, e)
	}
}
