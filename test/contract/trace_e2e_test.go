//go:build e2e

package contract

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/test/netns"
)

// One family's addresses in the proxy topology (test/netns) and the
// frontends of the packet test's table.
type traceNet struct {
	fam                         v1.IPFamily
	node, nodeExt, client       string // the node's bridge and outside addresses; the client
	podA, podB                  string
	clusterIP, emptyIP, localIP string
	externalIP, lbIP, remoteEP  string
	allowedRange                netip.Prefix // the LB IP's source range: the client, not the pods
	refusedBy                   string       // what the client sees of a REJECT
}

var traceNets = []traceNet{
	{fam: v1.IPv4Protocol, node: netns.NodePodIP, nodeExt: netns.NodeExtIP, client: netns.ClientIP,
		podA: "10.244.1.10", podB: "10.244.1.11",
		clusterIP: "10.96.0.10", emptyIP: "10.96.0.11", localIP: "10.96.0.12",
		externalIP: "203.0.113.7", lbIP: "203.0.113.20", remoteEP: "10.244.2.5",
		allowedRange: prefix("192.0.2.0/28")},
	{fam: v1.IPv6Protocol, node: netns.NodePodIP6, nodeExt: netns.NodeExtIP6, client: netns.ClientIP6,
		podA: "fd00:10:244:1::a", podB: "fd00:10:244:1::b",
		clusterIP: "fd00:10:96::a", emptyIP: "fd00:10:96::b", localIP: "fd00:10:96::c",
		externalIP: "2001:db8:1::7", lbIP: "2001:db8:1::20", remoteEP: "fd00:10:244:2::5",
		allowedRange: prefix("2001:db8::/112")},
}

const echoPort = 8080

// table: web (ClusterIP, NodePort 30080, external IP) on pod-a; empty
// (no endpoints: REJECT); local (eTP Local, NodePort 30082, its only
// endpoint on another node: DROP from outside); lb (LB IP open to the
// client's range only) on pod-b.
func (n traceNet) table() *proxy.Table {
	t := proxy.NewTable()
	ep := func(ip string, local bool) []proxy.Endpoint {
		return []proxy.Endpoint{{Addr: addr(ip), Port: echoPort, Ready: true, Serving: true, IsLocal: local}}
	}
	add := func(sp proxy.ServicePort, eps []proxy.Endpoint) {
		sp.Port, sp.Protocol = 80, v1.ProtocolTCP
		t.Services[sp.Name], t.Endpoints[sp.Name] = &sp, eps
	}
	add(proxy.ServicePort{Name: portName("default", "web", v1.ProtocolTCP), ClusterIPs: addrs(n.clusterIP), NodePort: 30080,
		ExternalIPs: addrs(n.externalIP)}, ep(n.podA, true))
	add(proxy.ServicePort{Name: portName("default", "empty", v1.ProtocolTCP), ClusterIPs: addrs(n.emptyIP)}, nil)
	add(proxy.ServicePort{Name: portName("default", "local", v1.ProtocolTCP), ClusterIPs: addrs(n.localIP), NodePort: 30082,
		ExternalPolicyLocal: true}, ep(n.remoteEP, false))
	add(proxy.ServicePort{Name: portName("default", "lb", v1.ProtocolTCP), ClusterIPs: addrs("10.96.0.13", "fd00:10:96::d"),
		LoadBalancerIPs: addrs(n.lbIP), LoadBalancerSourceRanges: []netip.Prefix{n.allowedRange}}, ep(n.podB, true))
	return t
}

// probe is one first packet: from a namespace (its address src, or the
// node's own process) to dst:port.
type probe struct {
	what      string
	from      *netns.NS
	src       string
	dst       string
	port      int
	fromLocal bool
}

// TestTracerMatchesKernelPackets: for first packets whose fate the node
// alone decides (DNAT to a pod here, REJECT, DROP), the fake's Trace
// must predict what real TCP connections in the proxy topology meet
// under the same rules: which pod answers and the source address it sees
// (masquerade or not), or refused, or a timeout.
func TestTracerMatchesKernelPackets(t *testing.T) {
	topo := netns.NewProxyTopology(t, "ctr", "pod-a", "pod-b")
	// A real node has a default route. Without one, a packet to an LB IP
	// that is not DNATed meets "network unreachable" in routing, before
	// the filter's DROP that the tracer (which models no routes) predicts.
	topo.Node.AddRoute(t, netns.ExternalCIDR, netns.ClientIP, "")
	topo.Node.AddRoute(t, netns.ExternalCIDR6, netns.ClientIP6, "")
	for _, p := range topo.Pods {
		p.StartEcho(t, echoPort, 0)
	}
	podA, podB := topo.Pod(t, "pod-a"), topo.Pod(t, "pod-b")
	for _, n := range traceNets {
		t.Run(string(n.fam), func(t *testing.T) {
			w := twinIn(t, topo.Node.Name, n.fam)
			w.fake.SetLocalAddrs(addr(n.node), addr(n.nodeExt))
			b := backendOn(t, n.fam, w)
			if err := b.Sync(n.table(), sets.New[proxy.ServicePortName](), true); err != nil {
				t.Fatalf("sync: %v\npayload:\n%s", err, w.fake.LastPayload())
			}
			w.sameState("sync")
			pods := map[netip.Addr]string{addr(n.podA): "pod-a", addr(n.podB): "pod-b"}
			for _, pr := range []probe{
				{what: "ClusterIP from outside", from: topo.Client, src: n.client, dst: n.clusterIP, port: 80},
				{what: "ClusterIP from a pod", from: podB.NS, src: n.podB, dst: n.clusterIP, port: 80},
				{what: "ClusterIP from its own endpoint (hairpin)", from: podA.NS, src: n.podA, dst: n.clusterIP, port: 80},
				{what: "ClusterIP from the node", from: topo.Node, src: n.node, dst: n.clusterIP, port: 80, fromLocal: true},
				{what: "NodePort", from: topo.Client, src: n.client, dst: n.nodeExt, port: 30080},
				{what: "external IP", from: topo.Client, src: n.client, dst: n.externalIP, port: 80},
				{what: "no endpoints", from: topo.Client, src: n.client, dst: n.emptyIP, port: 80},
				{what: "no endpoints, from a pod", from: podB.NS, src: n.podB, dst: n.emptyIP, port: 80},
				{what: "eTP Local without a local endpoint", from: topo.Client, src: n.client, dst: n.nodeExt, port: 30082},
				{what: "LB IP, allowed client", from: topo.Client, src: n.client, dst: n.lbIP, port: 80},
				{what: "LB IP, a pod outside the ranges", from: podA.NS, src: n.podA, dst: n.lbIP, port: 80},
			} {
				t.Run(pr.what, func(t *testing.T) { probeMatchesTrace(t, w.fake, pr, n, pods) })
			}
		})
	}
}

func probeMatchesTrace(t *testing.T, fake *iptablestest.FakeKernel, pr probe, n traceNet, pods map[netip.Addr]string) {
	origin := iptablestest.FromOutside
	if pr.fromLocal {
		origin = iptablestest.FromLocalProcess
	}
	outcomes := iptablestest.MustTrace(t, fake, iptablestest.TCPPacket(pr.src, pr.dst, pr.port, origin))
	if len(outcomes) != 1 {
		t.Fatalf("the probe must have one certain fate, the tracer says %v", outcomes)
	}
	o := outcomes[0]
	want := netns.Answer{}
	switch {
	case o.Verdict == iptablestest.Reject:
		want.Err = "refused"
	case o.Verdict == iptablestest.Drop:
		want.Err = "timeout"
	case o.DNAT.IsValid() && pods[o.DNAT.Addr()] != "":
		want.Pod, want.Source = pods[o.DNAT.Addr()], pr.src
		if o.Masqueraded {
			want.Source = n.node // MASQUERADE takes the bridge's address, toward the pods
		}
	default:
		t.Fatalf("the case is not one the node alone decides: the tracer says %v", o)
	}
	// 2 s: the ICMPv6 error of a REJECT can miss the first SYN and is
	// seen at the first retransmission, 1 s later (test/e2e's
	// TestIPv6NoEndpointsRefused); a DROP waits the whole time.
	answers, err := netns.Dial(pr.from.Name, "tcp", net.JoinHostPort(pr.dst, strconv.Itoa(pr.port)), 1, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := answers[0]
	if got.Pod != want.Pod || got.Source != want.Source || got.Err != want.Err {
		t.Errorf("the tracer says %v (pod %q, source %q, error %q); the kernel: %s", o, want.Pod, want.Source, want.Err, got.Line)
	}
}
