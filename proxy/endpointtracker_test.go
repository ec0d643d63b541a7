package proxy

import (
	"net/netip"
	"testing"

	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

func addrs(eps []Endpoint) []string {
	var out []string
	for _, e := range eps {
		out = append(out, e.AddrPort().String())
	}
	return out
}

func TestEndpointsMergeSlicesAndDeduplicate(t *testing.T) {
	tr := NewEndpointTracker("node-a", nopReporter{})
	tr.Update(makeSlice("web", "web-1", 8080, ready("10.244.1.3"), ready("10.244.1.2")), false)
	tr.Update(makeSlice("web", "web-2", 8080, ready("10.244.1.2"), ready("10.244.1.4")), false)
	svc := types.NamespacedName{Namespace: "default", Name: "web"}
	c := tr.Checkpoint()[svc]
	got := addrs(c.current[ServicePortName{NamespacedName: svc, Port: "http", Protocol: "TCP"}])
	want := []string{"10.244.1.2:8080", "10.244.1.3:8080", "10.244.1.4:8080"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestEndpointTrackerNoOpAndDelete(t *testing.T) {
	tr := NewEndpointTracker("node-a", nopReporter{})
	s := makeSlice("web", "web-1", 8080, ready("10.244.1.2"))
	if !tr.Update(s, false) {
		t.Fatal("add must be pending")
	}
	tr.Checkpoint()
	same := s.DeepCopy()
	same.ResourceVersion = "2"
	if tr.Update(same, false) {
		t.Error("an update that changes no endpoint must not be pending")
	}
	if !tr.Update(same, true) {
		t.Fatal("delete must be pending")
	}
	svc := types.NamespacedName{Namespace: "default", Name: "web"}
	if c := tr.Checkpoint()[svc]; c == nil || c.current != nil || len(c.previous) != 1 {
		t.Fatalf("delete change = %+v", c)
	}
}

func TestSliceWithoutServiceLabelIsIgnored(t *testing.T) {
	tr := NewEndpointTracker("node-a", nopReporter{})
	s := makeSlice("web", "orphan", 8080, ready("10.244.1.2"))
	s.Labels = nil
	if tr.Update(s, false) {
		t.Error("an unowned slice must be ignored")
	}
}

func TestUsableEndpointsFallsBackToTerminating(t *testing.T) {
	ep := func(ip string, ready, serving, term bool) Endpoint {
		return Endpoint{Addr: netip.MustParseAddr(ip), Port: 80, Ready: ready, Serving: serving, Terminating: term}
	}
	tests := []struct {
		name string
		in   []Endpoint
		want int
	}{
		{"ready win over terminating", []Endpoint{ep("10.0.0.1", true, true, false), ep("10.0.0.2", false, true, true)}, 1},
		{"terminating serving when none ready", []Endpoint{ep("10.0.0.2", false, true, true), ep("10.0.0.3", false, true, true)}, 2},
		{"not serving is never used", []Endpoint{ep("10.0.0.2", false, false, true), ep("10.0.0.3", false, false, false)}, 0},
	}
	for _, tc := range tests {
		if got := UsableEndpoints(tc.in); len(got) != tc.want {
			t.Errorf("%s: got %d endpoints, want %d", tc.name, len(got), tc.want)
		}
	}
}

func TestEndpointConditionsDefaultToReady(t *testing.T) {
	s := makeSlice("web", "web-1", 8080, ready("10.244.1.2"))
	s.Endpoints[0].Conditions.Ready = nil
	s.Endpoints[0].Conditions.Serving = nil
	s.Endpoints[0].Conditions.Terminating = nil
	eps := endpointsFromSlices(types.NamespacedName{Namespace: "default", Name: "web"}, map[string]*discovery.EndpointSlice{"web-1": s}, "node-a")
	for _, list := range eps {
		if len(list) != 1 || !list[0].Ready || !list[0].Serving {
			t.Fatalf("endpoint with unset conditions = %+v, want ready and serving", list)
		}
	}
}

func TestEndpointIsLocalOnlyOnItsNode(t *testing.T) {
	svc := types.NamespacedName{Namespace: "default", Name: "web"}
	s := makeSlice("web", "web-1", 8080, ready("10.244.1.2"))
	for node, want := range map[string]bool{"node-a": true, "node-b": false} {
		for _, list := range endpointsFromSlices(svc, map[string]*discovery.EndpointSlice{"web-1": s}, node) {
			if list[0].IsLocal != want {
				t.Errorf("on %s IsLocal = %v, want %v", node, list[0].IsLocal, want)
			}
		}
	}
}

// A slice none of whose entries is usable changes nothing: its port gets
// no (empty) endpoint list that would differ from having no slice.
func TestSliceOfOnlyInvalidEntriesChangesNothing(t *testing.T) {
	tr := NewEndpointTracker("node-a", nopReporter{})
	if tr.Update(makeSlice("web", "web-1", 8080, ready("not-an-ip")), false) {
		t.Error("a slice of invalid entries left a change pending")
	}
}
