package proxy

import (
	"net/netip"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"

	"github.com/nodenet/nodenet/test/objects"
)

var here = NodeState{Name: "node-a", Zone: "zone-a"}

// hinted is a ready (or, with !ready, serving-terminating) endpoint with
// zone hints zones and node hints nodes.
func hinted(ip string, ready bool, zones, nodes []string) Endpoint {
	return Endpoint{Addr: netip.MustParseAddr(ip), Port: 80, Ready: ready, Serving: true, Terminating: !ready,
		ZoneHints: hintsOf(zones), NodeHints: hintsOf(nodes)}
}

func zones(z ...string) []string { return z }

func TestTopologyEndpoints(t *testing.T) {
	a := hinted("10.0.0.1", true, zones("zone-a"), nil)
	b := hinted("10.0.0.2", true, zones("zone-b"), nil)
	ab := hinted("10.0.0.3", true, zones("zone-b", "zone-a"), nil)
	bare := hinted("10.0.0.4", true, nil, nil)
	termA := hinted("10.0.0.5", false, zones("zone-a"), nil)
	termB := hinted("10.0.0.6", false, zones("zone-b"), nil)
	notReady := Endpoint{Addr: netip.MustParseAddr("10.0.0.7"), Port: 80}
	onNode := hinted("10.0.0.8", true, zones("zone-b"), []string{"node-a"})
	onOther := hinted("10.0.0.9", true, zones("zone-a"), []string{"node-b"})
	for _, tc := range []struct {
		name string
		eps  []Endpoint
		at   NodeState
		want []Endpoint
	}{
		{"all hinted, our zone → only our zone", []Endpoint{a, b, ab}, here, []Endpoint{a, ab}},
		{"one ready endpoint without hints → all", []Endpoint{a, b, bare}, here, []Endpoint{a, b, bare}},
		{"no endpoint for our zone → all", []Endpoint{b}, here, []Endpoint{b}},
		{"node without zone label → all", []Endpoint{a, b}, NodeState{Name: "node-a"}, []Endpoint{a, b}},
		// Only ready endpoints are checked for hints (kube-proxy skips the
		// others), and they never receive traffic while one is ready.
		{"unhinted not-ready endpoint does not matter", []Endpoint{a, b, notReady}, here, []Endpoint{a}},
		{"ready in our zone beats terminating in our zone", []Endpoint{a, termA, b}, here, []Endpoint{a}},
		{"no ready endpoint → all serving-terminating, hints ignored", []Endpoint{termA, termB}, here, []Endpoint{termA, termB}},
		{"ready only in another zone → all ready, not our terminating", []Endpoint{b, termA}, here, []Endpoint{b}},
		{"forNodes on every endpoint, one for us → only ours", []Endpoint{onNode, onOther}, here, []Endpoint{onNode}},
		{"forNodes missing on one → zone hints", []Endpoint{onNode, onOther, a}, here, []Endpoint{onOther, a}},
		{"forNodes not for us → zone hints", []Endpoint{onOther, b}, NodeState{Name: "node-c", Zone: "zone-b"}, []Endpoint{b}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertEndpoints(t, TopologyEndpoints(tc.eps, tc.at), tc.want)
		})
	}
}

func assertEndpoints(t *testing.T, got, want []Endpoint) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// The table filters Cluster-policy targets of topology-aware ports only;
// Local policies ignore hints (kube-proxy applies topology to
// clusterEndpoints only).
func TestTableTargetsFollowHints(t *testing.T) {
	name := ServicePortName{Port: "http", Protocol: v1.ProtocolTCP}
	a := hinted("10.0.0.1", true, zones("zone-a"), nil)
	a.IsLocal = true
	b := hinted("10.0.0.2", true, zones("zone-b"), nil)
	b.IsLocal = true
	for _, tc := range []struct {
		name string
		sp   ServicePort
		kind FrontendKind
		want []Endpoint
	}{
		{"not topology-aware", ServicePort{}, ClusterIPFrontend, []Endpoint{a, b}},
		{"topology-aware", ServicePort{TopologyAware: true}, ClusterIPFrontend, []Endpoint{a}},
		{"internal Local ignores hints", ServicePort{TopologyAware: true, InternalPolicyLocal: true}, ClusterIPFrontend, []Endpoint{a, b}},
		{"internal Local, NodePort still Cluster", ServicePort{TopologyAware: true, InternalPolicyLocal: true}, NodePortFrontend, []Endpoint{a}},
		// Pods and the node reaching an external Local frontend take the
		// Cluster path, hints included; outside clients the local ones.
		{"external Local NodePort", ServicePort{TopologyAware: true, ExternalPolicyLocal: true}, NodePortFrontend, []Endpoint{a, b}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := NewTable()
			tab.Node = here
			sp := tc.sp
			sp.Name = name
			tab.Services[name] = &sp
			tab.Endpoints[name] = []Endpoint{a, b}
			assertEndpoints(t, tab.FrontendTargets(name, tc.kind), tc.want)
			assertEndpoints(t, tab.LocalTargets(name), []Endpoint{a, b})
		})
	}
}

func TestHintsAndModeAreRead(t *testing.T) {
	slice := makeSlice("web", "web-1", 8080, ready("10.244.1.2"))
	slice.Endpoints[0].Hints = &discovery.EndpointHints{
		ForZones: []discovery.ForZone{{Name: "zone-b"}, {Name: "zone-a"}},
		ForNodes: []discovery.ForNode{{Name: "node-a"}},
	}
	e, _ := endpointOf(&slice.Endpoints[0], 8080, "node-a")
	if e.ZoneHints != "zone-a,zone-b" || !e.ZoneHints.Has("zone-b") || e.ZoneHints.Has("zone") || !e.NodeHints.Has("node-a") {
		t.Errorf("hints read as %q / %q", e.ZoneHints, e.NodeHints)
	}
	for _, tc := range []struct {
		mutate func(*v1.Service)
		want   bool
	}{
		{func(*v1.Service) {}, false},
		{func(s *v1.Service) { s.Spec.TrafficDistribution = ptr.To(v1.ServiceTrafficDistributionPreferClose) }, true},
		{func(s *v1.Service) { s.Annotations = map[string]string{v1.AnnotationTopologyMode: "Auto"} }, true},
		{func(s *v1.Service) {
			s.Annotations = map[string]string{v1.DeprecatedAnnotationTopologyAwareHints: "auto"}
		}, true},
		// topology-mode wins over the deprecated annotation.
		{func(s *v1.Service) {
			s.Annotations = map[string]string{v1.AnnotationTopologyMode: "Disabled", v1.DeprecatedAnnotationTopologyAwareHints: "Auto"}
		}, false},
	} {
		ports, err := servicePortsFor(makeService("web", "10.96.0.1", tc.mutate))
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range ports {
			if sp.TopologyAware != tc.want {
				t.Errorf("TopologyAware = %v, want %v", sp.TopologyAware, tc.want)
			}
		}
	}
}

func zonedNode(zone string) *v1.Node {
	return objects.Node("node-a", objects.NodeLabels(map[string]string{"other": zone}), objects.InZone(zone))
}
