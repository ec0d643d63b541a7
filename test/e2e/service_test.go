//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

var protos = []string{"tcp", "udp"}

// assertFromEndpoints fails unless every answer came from one of the
// Service's endpoints (pod-a or pod-b).
func assertFromEndpoints(t *testing.T, ans []netns.Answer) {
	t.Helper()
	for _, a := range ans {
		if a.Pod != "pod-a" && a.Pod != "pod-b" {
			t.Errorf("answer %q not from an endpoint of web", a.Line)
		}
	}
}

func TestClusterIPFromPod(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	for _, proto := range protos {
		assertFromEndpoints(t, s.mustAnswer(s.pod("pod-c"), proto, webIP+":80", 5))
	}
}

func TestClusterIPFromNode(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	for _, proto := range protos {
		s.waitServing(s.topo.Node.Name, proto, webIP+":80")
		assertFromEndpoints(t, s.mustAnswer(s.topo.Node.Name, proto, webIP+":80", 5))
	}
}

func TestNodePortFromOutside(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	addr := fmt.Sprintf("%s:%d", netns.NodeExtIP, webNodePrt)
	for _, proto := range protos {
		s.waitServing(s.topo.Client.Name, proto, addr)
		assertFromEndpoints(t, s.mustAnswer(s.topo.Client.Name, proto, addr, 5))
	}
}

// TestNodePortOnEveryLocalAddress: without --nodeport-addresses a NodePort
// answers on all the node's addresses, also to pods and to the node itself.
func TestNodePortOnEveryLocalAddress(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	cases := []struct{ from, ip string }{
		{s.pod("pod-c"), netns.NodePodIP},
		{s.pod("pod-c"), netns.NodeExtIP},
		{s.topo.Node.Name, netns.NodeExtIP},
		{s.topo.Node.Name, netns.NodePodIP},
	}
	for _, c := range cases {
		addr := fmt.Sprintf("%s:%d", c.ip, webNodePrt)
		for _, proto := range protos {
			s.waitServing(c.from, proto, addr)
			assertFromEndpoints(t, s.mustAnswer(c.from, proto, addr, 3))
		}
	}
}

func TestLoadBalancerIPFromOutside(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	lb := service{Name: "lb", Type: "LoadBalancer", ClusterIP: "10.96.0.30",
		Ports: tcpUDP(80, 30090), LBIngress: []string{lbIP}}
	s.addService(lb, s.ep("pod-a"), s.ep("pod-b"))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	for _, proto := range protos {
		s.waitServing(s.topo.Client.Name, proto, lbIP+":80")
		assertFromEndpoints(t, s.mustAnswer(s.topo.Client.Name, proto, lbIP+":80", 5))
		// Pods reach the ingress IP too, short-circuited on the node.
		assertFromEndpoints(t, s.mustAnswer(s.pod("pod-c"), proto, lbIP+":80", 5))
	}
}

func TestExternalIPFromOutside(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	ext := service{Name: "ext", Type: "ClusterIP", ClusterIP: "10.96.0.40",
		Ports: tcpUDP(80, 0), ExternalIPs: []string{externalIP}}
	s.addService(ext, s.ep("pod-a"), s.ep("pod-b"))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	for _, proto := range protos {
		s.waitServing(s.topo.Client.Name, proto, externalIP+":80")
		assertFromEndpoints(t, s.mustAnswer(s.topo.Client.Name, proto, externalIP+":80", 5))
		assertFromEndpoints(t, s.mustAnswer(s.pod("pod-c"), proto, externalIP+":80", 5))
	}
}
