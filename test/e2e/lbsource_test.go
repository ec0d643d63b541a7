//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// Load-balancer source ranges, ingress ipMode and --nodeport-addresses
// primary, with real packets. The outside client is netns.ClientIP
// (192.0.2.10), pod-c is 10.244.1.12.

const (
	lbProxyIP = "203.0.113.11" // an ingress IP with ipMode Proxy
	lbSvcIP   = "10.96.0.30"
)

// rangedLB is a LoadBalancer Service on lbIP (and, with proxyMode, a
// second ingress lbProxyIP with ipMode Proxy) with the given source
// ranges, as YAML: the shared builder knows neither field, so they are
// spliced into its output.
func rangedLB(ranges []string, proxyMode bool) (service, string) {
	svc := service{Name: "lb", Type: "LoadBalancer", ClusterIP: lbSvcIP, Ports: tcpUDP(80, 30090), LBIngress: []string{lbIP}}
	if proxyMode {
		svc.LBIngress = append(svc.LBIngress, lbProxyIP)
	}
	y := svc.YAML()
	if len(ranges) > 0 {
		y = strings.Replace(y, "status:\n", fmt.Sprintf("  loadBalancerSourceRanges: [%s]\nstatus:\n", strings.Join(ranges, ", ")), 1)
	}
	if proxyMode {
		y = strings.Replace(y, "- ip: "+lbProxyIP+"\n", "- ip: "+lbProxyIP+"\n      ipMode: Proxy\n", 1)
	}
	return svc, y
}

// startRangedLB writes the Service, starts the agent and waits until the
// Service's ClusterIP answers pod-c: the agent has programmed it.
func startRangedLB(t *testing.T, ranges []string, proxyMode bool) *scenario {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	svc, y := rangedLB(ranges, proxyMode)
	s.write("svc-lb.yaml", y)
	s.write("eps-lb.yaml", sliceYAML(svc, s.ep("pod-a"), s.ep("pod-b")))
	// A real node forwards what it does not DNAT (default route); without
	// a route the kernel would answer "network unreachable" before the
	// filter table's DROP is reached.
	s.topo.Node.AddRoute(t, netns.ExternalCIDR, "", netns.BridgeName)
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	for _, proto := range protos {
		s.waitServing(s.pod("pod-c"), proto, lbSvcIP+":80")
	}
	return s
}

// lbDrops is the packet count of the filter DROP rules of lbIP: proof that
// a refused client met nodenet's firewall, not some other failure.
func lbDrops(t *testing.T, s *scenario) int {
	t.Helper()
	if nftMode() {
		return nftCounted(s.proxyRules("IPv4"), "saddr != ")
	}
	out, err := s.topo.Node.Exec("iptables-save", "-c", "-t", "filter")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(out, "\n") {
		var pkts, bytes int
		if strings.Contains(l, "-d "+lbIP+"/32") && strings.HasSuffix(l, "-j DROP") {
			if _, err := fmt.Sscanf(l, "[%d:%d]", &pkts, &bytes); err == nil {
				n += pkts
			}
		}
	}
	return n
}

// assertNoEndpointAnswers fails if any endpoint answers from ns at addr;
// with wantErr set, the attempt must also fail that way (e.g. "timeout",
// a drop, where a refusal would tell the client the port exists).
func assertNoEndpointAnswers(t *testing.T, ns, proto, addr, wantErr string) {
	t.Helper()
	ans, err := netns.Dial(ns, proto, addr, 1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ans[0].Pod != "" || (wantErr != "" && ans[0].Err != wantErr) {
		t.Errorf("%s %s from %s: got %q, want no endpoint (%s)", proto, addr, ns, ans[0].Line, wantErr)
	}
}

func TestLBSourceRangesExcludingClientDrop(t *testing.T) {
	s := startRangedLB(t, []string{"198.51.100.0/24"}, false)
	for _, proto := range protos {
		before := lbDrops(t, s)
		assertNoEndpointAnswers(t, s.topo.Client.Name, proto, lbIP+":80", "timeout")
		if lbDrops(t, s) == before {
			t.Errorf("%s: the load-balancer IP's DROP rule saw no packet", proto)
		}
		// The NodePort of the same Service is not restricted.
		assertFromEndpoints(t, s.mustAnswer(s.topo.Client.Name, proto, fmt.Sprintf("%s:%d", netns.NodeExtIP, 30090), 3))
	}
}

func TestLBSourceRangesIncludingClientAnswer(t *testing.T) {
	s := startRangedLB(t, []string{"198.51.100.0/24", "192.0.2.0/28"}, false)
	for _, proto := range protos {
		s.waitServing(s.topo.Client.Name, proto, lbIP+":80")
		assertFromEndpoints(t, s.mustAnswer(s.topo.Client.Name, proto, lbIP+":80", 5))
		// pod-c is outside the ranges: pods are filtered too, as in kube-proxy.
		assertNoEndpointAnswers(t, s.pod("pod-c"), proto, lbIP+":80", "timeout")
	}
}

// TestLBIPModeProxyNotDNATed: the VIP-mode ingress IP is served, the
// Proxy-mode one is left alone (its load balancer forwards to the node).
func TestLBIPModeProxyNotDNATed(t *testing.T) {
	s := startRangedLB(t, nil, true)
	for _, proto := range protos {
		s.waitServing(s.topo.Client.Name, proto, lbIP+":80")
		assertNoEndpointAnswers(t, s.topo.Client.Name, proto, lbProxyIP+":80", "")
	}
	if out, _ := s.topo.Node.Exec("iptables-save", "-t", "nat"); strings.Contains(out, lbProxyIP) {
		t.Errorf("the Proxy-mode ingress IP is in the nat rules:\n%s", out)
	}
}

// TestNodePortPrimary: with --nodeport-addresses primary the NodePort
// answers on the Node's InternalIP (the outside address) only, not on the
// node's pod-network address, and follows a change of the Node's IP.
func TestNodePortPrimary(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b")
	s.addService(service{Name: "web", Type: "NodePort", ClusterIP: webIP, Ports: tcpUDP(80, webNodePrt)}, s.ep("pod-a"), s.ep("pod-b"))
	s.startAgent("--cluster-cidr", "10.244.0.0/16", "--nodeport-addresses", "primary")
	primary, other := fmt.Sprintf("%s:%d", netns.NodeExtIP, webNodePrt), fmt.Sprintf("%s:%d", netns.NodePodIP, webNodePrt)
	client := s.topo.Client.Name
	for _, proto := range protos {
		s.waitServing(client, proto, primary)
		assertFromEndpoints(t, s.mustAnswer(client, proto, primary, 3))
		assertNoEndpointAnswers(t, client, proto, other, "")
	}
	s.write("node.yaml", nodeYAML(netns.NodePodIP))
	s.waitServing(client, "tcp", other)
	for _, proto := range protos {
		assertFromEndpoints(t, s.mustAnswer(client, proto, other, 3))
		assertNoEndpointAnswers(t, client, proto, primary, "")
	}
}
