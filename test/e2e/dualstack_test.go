//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// Both families' pod networks: each backend gets its own cluster CIDR.
var dualStackFlags = []string{"--cluster-cidr", "10.244.0.0/16,fd00:10:244::/48"}

// ep6 returns the ready IPv6 endpoint for pod name.
func (s *scenario) ep6(name string) endpoint {
	return endpoint{Pod: name, IP: s.topo.Pod(s.t, name).IP6, Ready: true, Serving: true}
}

// addDualStack writes svc with an IPv4 and an IPv6 EndpointSlice of pods,
// as the EndpointSlice controller does for a dual-stack Service.
func (s *scenario) addDualStack(svc service, pods ...string) {
	s.t.Helper()
	var v4, v6 []endpoint
	for _, p := range pods {
		v4, v6 = append(v4, s.ep(p)), append(v6, s.ep6(p))
	}
	s.write("svc-"+svc.Name+".yaml", svc.YAML())
	s.write("eps-"+svc.Name+"-4.yaml", namedSliceYAML(svc.Name+"-4", svc, v4...))
	s.write("eps-"+svc.Name+"-6.yaml", namedSliceYAML(svc.Name+"-6", svc, v6...))
}

func hostPort(ip string, port int) string { return net.JoinHostPort(ip, fmt.Sprint(port)) }

// TestIPv6ClusterIPFromPod: an IPv6-only Service's ClusterIP, from a pod,
// spreads connections over both IPv6 endpoints, over TCP and UDP.
func TestIPv6ClusterIPFromPod(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	web6 := service{Name: "web6", Type: "ClusterIP", ClusterIP: "fd00:10:96::10", Ports: tcpUDP(80, 0)}
	s.addService(web6, s.ep6("pod-a"), s.ep6("pod-b"))
	s.startAgent(dualStackFlags...)
	addr := hostPort(web6.ClusterIP, 80)
	for _, proto := range protos {
		s.waitServing(s.pod("pod-c"), proto, addr)
		ans := s.mustAnswer(s.pod("pod-c"), proto, addr, 20)
		assertFromEndpoints(t, ans)
		if got := pods(ans); got["pod-a"] == 0 || got["pod-b"] == 0 {
			t.Errorf("%s %s: answers %v, want both endpoints", proto, addr, got)
		}
		assertSource(t, proto+" pod-c -> IPv6 ClusterIP", ans, s.topo.Pod(t, "pod-c").IP6)
	}
}

// TestIPv6NodePortFromOutside: an IPv6 NodePort from the outside client
// is masqueraded: the endpoint sees the node's pod-network address.
func TestIPv6NodePortFromOutside(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b")
	web6 := service{Name: "web6", Type: "NodePort", ClusterIP: "fd00:10:96::10", Ports: tcpUDP(80, 30081)}
	s.addService(web6, s.ep6("pod-a"), s.ep6("pod-b"))
	s.startAgent(dualStackFlags...)
	addr := hostPort(netns.NodeExtIP6, 30081)
	for _, proto := range protos {
		s.waitServing(s.topo.Client.Name, proto, addr)
		ans := s.mustAnswer(s.topo.Client.Name, proto, addr, 5)
		assertFromEndpoints(t, ans)
		assertSource(t, proto+" client -> IPv6 NodePort", ans, netns.NodePodIP6)
	}
}

// TestDualStackServiceBothFamilies: one Service with an IPv4 and an IPv6
// ClusterIP answers on both, each family's table DNATing to its own
// family's endpoints only; cleanup removes both families' rules.
func TestDualStackServiceBothFamilies(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	ds := service{Name: "ds", Type: "NodePort", ClusterIP: "fd00:10:96::50",
		ClusterIPs: []string{"fd00:10:96::50", "10.96.0.50"}, Ports: tcpUDP(80, 30082)}
	s.addDualStack(ds, "pod-a", "pod-b")
	s.startAgent(dualStackFlags...)
	client := s.pod("pod-c")
	for _, c := range []struct{ addr, source string }{
		{hostPort("10.96.0.50", 80), s.topo.Pod(t, "pod-c").IP},
		{hostPort("fd00:10:96::50", 80), s.topo.Pod(t, "pod-c").IP6},
	} {
		for _, proto := range protos {
			s.waitServing(client, proto, c.addr)
			ans := s.mustAnswer(client, proto, c.addr, 5)
			assertFromEndpoints(t, ans)
			assertSource(t, proto+" pod-c -> "+c.addr, ans, c.source)
		}
	}
	v4, v6 := s.proxyRules("IPv4"), s.proxyRules("IPv6")
	if strings.Contains(v4, "fd00:10:244") || strings.Contains(v6, "10.244.1.") {
		t.Errorf("a table DNATs to the other family:\n--- IPv4\n%s--- IPv6\n%s", v4, v6)
	}
	out, err := s.nodenet("dump", "rules", "--proxy-mode", proxyMode)
	if err != nil || !strings.Contains(out, "# IPv4") || !strings.Contains(out, "# IPv6") || !strings.Contains(out, "fd00:10:96::50") {
		t.Errorf("nodenet dump rules does not show both families: %v\n%s", err, out)
	}
	s.agent.Stop()
	if out, err := s.nodenet("cleanup"); err != nil {
		t.Fatalf("nodenet cleanup: %v\n%s", err, out)
	}
	for _, save := range []string{"iptables-save", "ip6tables-save"} {
		if got := s.save(save); strings.Contains(got, "NODENET") {
			t.Errorf("%s after cleanup still has nodenet rules:\n%s", save, got)
		}
	}
	if left := nodenetTables(t, s.topo.Node.Name); left != "" {
		t.Errorf("nftables tables left after cleanup:\n%s", left)
	}
}

// TestSingleStackIPv4HasNoIPv6Rules: an IPv4-only NodePort Service is
// served over IPv4 and has no rule at all in the IPv6 tables, NodePort
// included, while the agent runs both families.
func TestSingleStackIPv4HasNoIPv6Rules(t *testing.T) {
	s := webScenario(t, dualStackFlags...)
	web6 := service{Name: "web6", Type: "ClusterIP", ClusterIP: "fd00:10:96::10", Ports: tcpUDP(80, 0)}
	s.addService(web6, s.ep6("pod-a"))
	s.waitServing(s.pod("pod-c"), "tcp", hostPort(web6.ClusterIP, 80)) // the IPv6 backend runs
	if v4 := s.proxyRules("IPv4"); !strings.Contains(v4, serviceMarker("default/web", "tcp", "TCP")) {
		t.Fatalf("web has no IPv4 rules:\n%s", v4)
	}
	out, err := s.nodenet("dump", "rules", "--proxy-mode", proxyMode, "--ip-family", "IPv6")
	if err != nil {
		t.Fatalf("nodenet dump rules --ip-family IPv6: %v\n%s", err, out)
	}
	if strings.Contains(out, servicePrefixMarker("default/web")) || strings.Contains(out, fmt.Sprint(webNodePrt)) {
		t.Errorf("the SingleStack IPv4 Service web has IPv6 rules:\n%s", out)
	}
}

// TestIPv6NoEndpointsRefused: an IPv6 ClusterIP without endpoints is
// refused at once (ICMPv6 port unreachable), not left to time out.
func TestIPv6NoEndpointsRefused(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-c")
	web6 := service{Name: "web6", Type: "ClusterIP", ClusterIP: "fd00:10:96::10", Ports: tcpUDP(80, 0)}
	empty6 := service{Name: "empty6", Type: "ClusterIP", ClusterIP: "fd00:10:96::20", Ports: tcpUDP(80, 0)}
	s.addService(web6, s.ep6("pod-a"))
	s.addService(empty6)
	s.startAgent(dualStackFlags...)
	s.waitServing(s.pod("pod-c"), "tcp", hostPort(web6.ClusterIP, 80))
	// Refused, not timed out: each attempt's timeout is 2s, while an
	// unanswered SYN would wait for it (the REJECT's ICMPv6 error can
	// miss the first SYN while connect() still holds the socket, and is
	// then seen at the first retransmission, 1s later).
	for _, proto := range protos {
		ans, _ := s.dial(s.pod("pod-c"), proto, hostPort(empty6.ClusterIP, 80), 3)
		if len(ans) != 3 {
			t.Fatalf("%s: %d answers, want 3", proto, len(ans))
		}
		for _, a := range ans {
			if a.Err != "refused" {
				t.Errorf("%s to the no-endpoint IPv6 ClusterIP: %q, want refused", proto, a.Line)
			}
		}
	}
}

// save runs an iptables-save binary in the node namespace.
func (s *scenario) save(bin string) string {
	s.t.Helper()
	out, err := s.topo.Node.Exec(bin)
	if err != nil {
		s.t.Fatalf("%s: %v\n%s", bin, err, out)
	}
	return out
}
