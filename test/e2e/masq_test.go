//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// assertSource fails unless every answer's endpoint saw source src; one
// error per call, with the count and an example, keeps failures readable.
func assertSource(t *testing.T, what string, ans []netns.Answer, src string) {
	t.Helper()
	bad, example := 0, ""
	for _, a := range ans {
		if a.Source != src {
			bad++
			example = a.Line
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d answers saw another source than %s, e.g. %q", what, bad, len(ans), src, example)
	}
}

// TestMasqueradeClusterCIDR: with --cluster-cidr covering the pods, pod to
// ClusterIP keeps the pod's address, while outside to NodePort is always
// masqueraded to the node's address on the pod network.
func TestMasqueradeClusterCIDR(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	podC := s.topo.Pod(t, "pod-c")
	for _, proto := range protos {
		ans := s.mustAnswer(podC.Name, proto, webIP+":80", 5)
		assertSource(t, proto+" pod-c -> ClusterIP", ans, podC.IP)
	}
	addr := fmt.Sprintf("%s:%d", netns.NodeExtIP, webNodePrt)
	for _, proto := range protos {
		s.waitServing(s.topo.Client.Name, proto, addr)
		ans := s.mustAnswer(s.topo.Client.Name, proto, addr, 5)
		assertSource(t, proto+" client -> NodePort", ans, netns.NodePodIP)
	}
}

// TestMasqueradeAll: with --masquerade-all even pod traffic is masqueraded.
func TestMasqueradeAll(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16", "--masquerade-all")
	for _, proto := range protos {
		ans := s.mustAnswer(s.pod("pod-c"), proto, webIP+":80", 5)
		assertSource(t, proto+" pod-c -> ClusterIP", ans, netns.NodePodIP)
	}
}

// TestOutsideClusterCIDRMasqueraded: a source outside --cluster-cidr (the
// node itself is, with a cluster CIDR that leaves out its address) reaching
// a ClusterIP is masqueraded, as in kube-proxy.
func TestOutsideClusterCIDRMasqueraded(t *testing.T) {
	// The client reaches the ClusterIP through the node (its routes send
	// 10.96.0.0/12 there); 192.0.2.10 is outside the cluster CIDR.
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	s.waitServing(s.topo.Client.Name, "tcp", webIP+":80")
	ans := s.mustAnswer(s.topo.Client.Name, "tcp", webIP+":80", 5)
	assertSource(t, "client -> ClusterIP", ans, netns.NodePodIP)
}
