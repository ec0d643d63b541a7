//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// TestExternalTrafficPolicyLocal: a NodePort with externalTrafficPolicy
// Local goes only to endpoints on this node and keeps the client's source
// address (no masquerade), as in kube-proxy.
func TestExternalTrafficPolicyLocal(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	svc := web
	svc.ExternalTrafficPolicy = "Local"
	remote := s.ep("pod-b")
	remote.Node = "nnt-other-node" // reachable, but "on another node"
	s.addService(svc, s.ep("pod-a"), remote)
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	addr := fmt.Sprintf("%s:%d", netns.NodeExtIP, webNodePrt)
	s.waitServing(s.topo.Client.Name, "tcp", addr)
	ans := s.mustAnswer(s.topo.Client.Name, "tcp", addr, 20)
	if got := pods(ans); got["pod-a"] != 20 {
		t.Errorf("NodePort answers %v, want only the local pod-a", got)
	}
	assertSource(t, "client -> NodePort (Local)", ans, netns.ClientIP)
	// The ClusterIP still balances over all endpoints.
	if got := pods(s.mustAnswer(s.pod("pod-c"), "tcp", webIP+":80", 40)); got["pod-b"] == 0 {
		t.Errorf("ClusterIP answers %v, want pod-b too (policy Local is for external traffic only)", got)
	}
}

// TestSessionAffinityClientIP: with sessionAffinity ClientIP every new
// connection of one client goes to the same endpoint.
func TestSessionAffinityClientIP(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	svc := web
	svc.SessionAffinity = "ClientIP"
	s.addService(svc, s.ep("pod-a"), s.ep("pod-b"))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
	if got := pods(s.mustAnswer(s.pod("pod-c"), "tcp", webIP+":80", 20)); len(got) != 1 {
		t.Errorf("answers %v, want one endpoint for all connections of one client", got)
	}
}

// TestTerminatingFallback: when no endpoint is ready, serving terminating
// endpoints are used rather than dropping traffic (kube-proxy >= 1.28).
func TestTerminatingFallback(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	term := s.ep("pod-a")
	term.Ready, term.Serving, term.Terminating = false, true, true
	s.addService(web, term)
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	if a := s.waitServing(s.pod("pod-c"), "tcp", webIP+":80"); a.Pod != "pod-a" {
		t.Errorf("answered by %q, want the terminating pod-a", a.Pod)
	}
	// Once a ready endpoint exists, the terminating one gets nothing new.
	s.write("eps-web.yaml", sliceYAML(web, term, s.ep("pod-b")))
	netns.Eventually(t, 3*time.Second, "only the ready pod-b answers", func() error {
		if got := pods(s.mustAnswer(s.pod("pod-c"), "tcp", webIP+":80", 10)); got["pod-b"] != 10 {
			return fmt.Errorf("answers %v", got)
		}
		return nil
	})
}

// TestMultipleSlices: a Service's endpoints are the union of all its
// EndpointSlices (large Services are split over several).
func TestMultipleSlices(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	s.addService(web, s.ep("pod-a"))
	s.write("eps-web-2.yaml", namedSliceYAML("web-2", web, s.ep("pod-b")))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
	got := pods(s.mustAnswer(s.pod("pod-c"), "tcp", webIP+":80", 40))
	if got["pod-a"] == 0 || got["pod-b"] == 0 {
		t.Errorf("answers %v, want endpoints of both slices", got)
	}
}
