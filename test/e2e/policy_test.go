//go:build e2e

package e2e

import (
	"fmt"
	"strings"
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

// TestExternalTrafficPolicyLocalNoLocalEndpoint: with only remote
// endpoints, clients outside the cluster get nothing (kube-proxy drops:
// the load balancer should send them to another node) while pods are
// still short-circuited to the remote endpoint.
func TestExternalTrafficPolicyLocalNoLocalEndpoint(t *testing.T) {
	s, _ := policyScenario(t, func(svc *service) { svc.ExternalTrafficPolicy = "Local" }, false)
	addr := fmt.Sprintf("%s:%d", netns.NodeExtIP, webNodePrt)
	if a := s.waitServing(s.pod("pod-c"), "tcp", addr); a.Pod != "pod-b" {
		t.Errorf("pod -> NodePort answered by %q, want the remote pod-b", a.Pod)
	}
	ans, _ := s.dial(s.topo.Client.Name, "tcp", addr, 2)
	if len(ans) != 2 {
		t.Fatalf("client -> NodePort: %d answers, want 2", len(ans))
	}
	for _, a := range ans {
		if a.Err != "timeout" {
			t.Errorf("client -> NodePort without local endpoint: %q, want a timeout (dropped)", a.Line)
		}
	}
}

// TestInternalTrafficPolicyLocal: a ClusterIP with internalTrafficPolicy
// Local goes only to endpoints on this node; without one it is dropped
// (not rejected), as kube-proxy does. The NodePort keeps the Cluster policy.
func TestInternalTrafficPolicyLocal(t *testing.T) {
	s, svc := policyScenario(t, func(svc *service) { svc.InternalTrafficPolicy = "Local" }, true)
	s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
	if got := pods(s.mustAnswer(s.pod("pod-c"), "tcp", webIP+":80", 20)); got["pod-a"] != 20 {
		t.Errorf("ClusterIP answers %v, want only the local pod-a", got)
	}
	np := fmt.Sprintf("%s:%d", netns.NodeExtIP, webNodePrt)
	if got := pods(s.mustAnswer(s.topo.Client.Name, "tcp", np, 40)); got["pod-b"] == 0 {
		t.Errorf("NodePort answers %v, want pod-b too (internal policy is for ClusterIPs only)", got)
	}
	s.write("eps-web.yaml", sliceYAML(svc, s.remoteEp("pod-b")))
	netns.Eventually(t, 5*time.Second, "ClusterIP dropped without a local endpoint", func() error {
		ans, _ := s.dial(s.pod("pod-c"), "tcp", webIP+":80", 1)
		if len(ans) != 1 || ans[0].Err != "timeout" {
			return fmt.Errorf("answers %v, want a timeout", ans)
		}
		return nil
	})
}

// TestHealthCheckNodePort: a LoadBalancer Service with
// externalTrafficPolicy Local answers on its healthCheckNodePort, on the
// node's address: 200 with a local endpoint, 503 without.
func TestHealthCheckNodePort(t *testing.T) {
	const hcPort = 32100
	s, svc := policyScenario(t, func(svc *service) {
		svc.Type, svc.LBIngress = "LoadBalancer", []string{lbIP}
		svc.ExternalTrafficPolicy, svc.HealthCheckNodePort = "Local", hcPort
	}, true)
	url := fmt.Sprintf("http://%s:%d/", netns.NodeExtIP, hcPort)
	probe := func(want string) func() error {
		return func() error {
			ans, err := s.dial(s.topo.Client.Name, "http", url, 1)
			if err != nil {
				return err
			}
			if !strings.Contains(ans[0].Line, want) {
				return fmt.Errorf("answer %q, want %q", ans[0].Line, want)
			}
			return nil
		}
	}
	netns.Eventually(t, 10*time.Second, "health check answers 200 with one local endpoint", probe(`"localEndpoints":1,`))
	s.write("eps-web.yaml", sliceYAML(svc, s.remoteEp("pod-b")))
	netns.Eventually(t, 10*time.Second, "health check answers 503 without local endpoint", probe("503"))
	s.remove("svc-web.yaml")
	netns.Eventually(t, 10*time.Second, "health check port closed with its Service", probe("refused"))
}

// policyScenario serves web, changed by set, from pod-b on another node
// and, when local, from pod-a on this one (pod-c is a client); the agent
// runs with the cluster CIDR, which traffic policies short-circuit.
func policyScenario(t *testing.T, set func(*service), local bool) (*scenario, service) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	svc := web
	set(&svc)
	eps := []endpoint{s.remoteEp("pod-b")}
	if local {
		eps = append([]endpoint{s.ep("pod-a")}, eps...)
	}
	s.addService(svc, eps...)
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	return s, svc
}

// remoteEp is pod name's ready endpoint written as running on another
// node: still reachable, but not local for traffic policies.
func (s *scenario) remoteEp(name string) endpoint {
	e := s.ep(name)
	e.Node = "nnt-other-node"
	return e
}
