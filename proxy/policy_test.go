package proxy

import (
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/nodenet/nodenet/proxy/conntrack"
	"github.com/nodenet/nodenet/proxy/conntrack/conntracktest"
)

func ep(ip string, local, ready, terminating bool) Endpoint {
	return Endpoint{Addr: netip.MustParseAddr(ip), Port: 80, Ready: ready, Serving: ready || terminating, Terminating: terminating, IsLocal: local}
}

func TestLocalEndpoints(t *testing.T) {
	localReady, localTerm := ep("10.0.0.1", true, true, false), ep("10.0.0.2", true, false, true)
	remoteReady, localDead := ep("10.0.0.3", false, true, false), ep("10.0.0.4", true, false, false)
	for _, tc := range []struct {
		name string
		eps  []Endpoint
		want []Endpoint
	}{
		{"local ready only", []Endpoint{localReady, localTerm, remoteReady}, []Endpoint{localReady}},
		{"falls back to local terminating", []Endpoint{localTerm, remoteReady}, []Endpoint{localTerm}},
		{"no local endpoint", []Endpoint{remoteReady}, nil},
		{"local but neither ready nor serving", []Endpoint{localDead, remoteReady}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := LocalEndpoints(tc.eps)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
	if got := localReadyAddrs([]Endpoint{localReady, localTerm, remoteReady}); len(got) != 1 {
		t.Errorf("localReadyAddrs = %v, want only the local ready one (terminating and remote do not count)", got)
	}
}

func TestFrontendTargets(t *testing.T) {
	name := ServicePortName{Port: "http", Protocol: v1.ProtocolTCP}
	local, remote := ep("10.0.0.1", true, true, false), ep("10.0.0.3", false, true, false)
	for _, tc := range []struct {
		name               string
		internal, external bool
		kind               FrontendKind
		want               int
	}{
		{"Cluster ClusterIP", false, false, ClusterIPFrontend, 2},
		{"internal Local ClusterIP", true, false, ClusterIPFrontend, 1},
		{"internal Local NodePort", true, false, NodePortFrontend, 2},
		{"external Local ClusterIP", false, true, ClusterIPFrontend, 2},
		// Outside clients get the local one, pods and the node all.
		{"external Local NodePort", false, true, NodePortFrontend, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := NewTable()
			tab.Services[name] = &ServicePort{Name: name, InternalPolicyLocal: tc.internal, ExternalPolicyLocal: tc.external}
			tab.Endpoints[name] = []Endpoint{local, remote}
			if got := tab.FrontendTargets(name, tc.kind); len(got) != tc.want {
				t.Errorf("targets %v, want %d", got, tc.want)
			}
		})
	}
}

func TestTrafficPolicyFields(t *testing.T) {
	lb := makeService("lb", "10.96.0.10", func(s *v1.Service) {
		s.Spec.Type = v1.ServiceTypeLoadBalancer
		s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
		s.Spec.InternalTrafficPolicy = ptr.To(v1.ServiceInternalTrafficPolicyLocal)
		s.Spec.HealthCheckNodePort = 32000
	})
	// externalTrafficPolicy means nothing without an external frontend.
	internalOnly := makeService("c", "10.96.0.11", func(s *v1.Service) {
		s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
		s.Spec.HealthCheckNodePort = 32001
	})
	for _, tc := range []struct {
		svc                *v1.Service
		external, internal bool
		hc                 int32
	}{{lb, true, true, 32000}, {internalOnly, false, false, 0}} {
		ports, err := servicePortsFor(tc.svc)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range ports {
			if sp.ExternalPolicyLocal != tc.external || sp.InternalPolicyLocal != tc.internal || sp.HealthCheckNodePort != tc.hc {
				t.Errorf("%s: got %+v", tc.svc.Name, sp)
			}
		}
	}
}

// Turning on internalTrafficPolicy Local takes the ClusterIP's traffic
// away from the remote endpoint: its ClusterIP flows go, its NodePort
// flows (still Cluster) stay.
func TestInternalPolicyLocalClearsRemoteClusterIPFlows(t *testing.T) {
	ct := &conntracktest.Fake{}
	p := NewProxier(Config{NodeName: "node-a", Conntrack: ct}, &recordingBackend{})
	h := p.Handlers()
	svc := udpService("dns", "10.96.0.10", 30053)
	h.Services.OnServiceAdd(svc)
	slice := udpSlice("dns", "10.244.1.2", "10.244.1.3")
	slice.Endpoints[1].NodeName = ptr.To("node-b")
	h.EndpointSlices.OnEndpointSliceAdd(slice)
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)

	gone, stays := flow("10.96.0.10", 53, "10.244.1.3"), flow("10.96.0.10", 53, "10.244.1.2")
	nodePort := flow("", 30053, "10.244.1.3")
	for _, e := range []conntrack.Entry{gone, stays, nodePort} {
		ct.Add(e)
	}
	local := svc.DeepCopy()
	local.Spec.InternalTrafficPolicy = ptr.To(v1.ServiceInternalTrafficPolicyLocal)
	h.Services.OnServiceUpdate(svc, local)
	mustSync(t, p)
	assertEntries(t, ct, stays, nodePort)
}
