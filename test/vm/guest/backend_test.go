//go:build vmguest

package guest

import (
	"net/netip"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/test/netns"
)

// ipvsNode drives an ipvs.Backend in the topology's node namespace.
type ipvsNode struct {
	t     *testing.T
	topo  *netns.ProxyTopology
	b     *ipvs.Backend
	table *proxy.Table
	c     ipvs.Config
}

// newIPVSNode is an IPv4 node with echo servers in its pods.
func newIPVSNode(t *testing.T, pods ...string) *ipvsNode {
	return newIPVSNodeWith(t, ipvs.Config{}, pods...)
}

// newIPVSNodeWith is a node whose backend has c's family and options, the
// topology's cluster CIDR and node address of that family.
func newIPVSNodeWith(t *testing.T, c ipvs.Config, pods ...string) *ipvsNode {
	topo := netns.NewProxyTopology(t, "v", pods...)
	for _, p := range topo.Pods {
		p.StartEcho(t, 8080, 0)
	}
	cidr, node := "10.244.0.0/16", netns.NodeExtIP
	if c.Family == v1.IPv6Protocol {
		cidr, node = "fd00:10:244::/48", netns.NodeExtIP6
	}
	c.ClusterCIDRs = []netip.Prefix{netip.MustParsePrefix(cidr)}
	c.NodeAddrs = func([]netip.Addr) ([]netip.Addr, error) { return []netip.Addr{netip.MustParseAddr(node)}, nil }
	n := &ipvsNode{t: t, topo: topo, table: proxy.NewTable(), c: c}
	n.start()
	return n
}

// start opens a new backend over the node's kernel, as a (re)started
// agent does.
func (n *ipvsNode) start() {
	t := n.t
	inNS(t, n.topo.Node.Name, func() {
		k, err := ipvs.NewKernel("")
		if err != nil {
			t.Fatal(err)
		}
		addrs, err := ipvs.NewAddrs("")
		if err != nil {
			t.Fatal(err)
		}
		rules, err := ipvs.NewRules(n.c.Family == v1.IPv6Protocol)
		if err != nil {
			t.Fatal(err)
		}
		if n.b, err = ipvs.NewBackend(n.c, k, addrs, ipvs.NewSysctls(), rules); err != nil {
			t.Fatal(err)
		}
	})
}

func (n *ipvsNode) sync(full bool, changed ...proxy.ServicePortName) {
	n.t.Helper()
	var err error
	inNS(n.t, n.topo.Node.Name, func() { err = n.b.Sync(n.table, sets.New(changed...), full) })
	if err != nil {
		n.t.Fatalf("sync: %v", err)
	}
}

func (n *ipvsNode) service(name string, proto v1.Protocol, sp proxy.ServicePort, pods ...string) proxy.ServicePortName {
	spn := proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: "ns", Name: name}, Protocol: proto}
	sp.Name, sp.Protocol, sp.Port = spn, proto, 80
	n.table.Services[spn] = &sp
	n.endpoints(spn, pods...)
	return spn
}

func (n *ipvsNode) endpoints(spn proxy.ServicePortName, pods ...string) {
	var eps []proxy.Endpoint
	for _, name := range pods {
		p := n.topo.Pod(n.t, name)
		ip := p.IP
		if n.c.Family == v1.IPv6Protocol {
			ip = p.IP6
		}
		eps = append(eps, proxy.Endpoint{Addr: netip.MustParseAddr(ip), Port: 8080, Ready: true, Serving: true, IsLocal: true})
	}
	n.table.Endpoints[spn] = eps
}

// answers dials n times and counts answers by "pod from source" (or the
// error kind).
func answers(t *testing.T, ns, proto, addr string, n int) map[string]int {
	t.Helper()
	got, err := netns.Dial(ns, proto, addr, n, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, a := range got {
		if a.Err != "" {
			out[a.Err]++
		} else {
			out[a.Pod+" from "+a.Source]++
		}
	}
	return out
}

func want(t *testing.T, what string, got map[string]int, want map[string]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", what, got, want)
			return
		}
	}
}

// TestBackendServesTraffic: the backend's virtual servers carry real TCP
// and UDP; loadBalancerSourceRanges drop other clients; an outside client
// is masqueraded on the ClusterIP, the NodePort and the load-balancer IP,
// a pod is not (it is in the cluster CIDR) unless it reaches itself
// (hairpin); an endpoint removal and a Service without endpoints behave as
// in iptables mode.
func TestBackendServesTraffic(t *testing.T) {
	n := newIPVSNode(t, "pod-a", "pod-b")
	client := n.topo.Client.Name
	web := n.service("web", v1.ProtocolTCP, proxy.ServicePort{ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.10")}, NodePort: 30080}, "pod-a", "pod-b")
	n.service("dns", v1.ProtocolUDP, proxy.ServicePort{ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.10")}}, "pod-b")
	lb := func(ip string, ranges ...string) proxy.ServicePort {
		sp := proxy.ServicePort{ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.2" + ip[len(ip)-1:])},
			LoadBalancerIPs: []netip.Addr{netip.MustParseAddr(ip)}}
		for _, r := range ranges {
			sp.LoadBalancerSourceRanges = append(sp.LoadBalancerSourceRanges, netip.MustParsePrefix(r))
		}
		return sp
	}
	n.service("closed", v1.ProtocolTCP, lb("203.0.113.8", "198.51.100.0/24"), "pod-a")
	n.service("open", v1.ProtocolTCP, lb("203.0.113.9", "198.51.100.0/24", netns.ClientIP+"/32"), "pod-a")
	n.sync(true)

	want(t, "client outside the LB's source ranges", answers(t, client, "tcp", "203.0.113.8:80", 1), map[string]int{"timeout": 1})
	want(t, "client inside the LB's source ranges", answers(t, client, "tcp", "203.0.113.9:80", 1),
		map[string]int{"pod-a from " + netns.NodePodIP: 1})

	// Masquerading takes the address of the interface towards the pods.
	node := netns.NodePodIP
	want(t, "client to ClusterIP", answers(t, client, "tcp", "10.96.0.10:80", 4),
		map[string]int{"pod-a from " + node: 2, "pod-b from " + node: 2})
	want(t, "client to NodePort", answers(t, client, "tcp", netns.NodeExtIP+":30080", 2),
		map[string]int{"pod-a from " + node: 1, "pod-b from " + node: 1})
	want(t, "client to UDP ClusterIP", answers(t, client, "udp", "10.96.0.10:80", 2),
		map[string]int{"pod-b from " + node: 2})
	want(t, "pod-b to ClusterIP", answers(t, n.topo.Pod(t, "pod-b").Name, "tcp", "10.96.0.10:80", 2),
		map[string]int{"pod-a from " + n.topo.Pod(t, "pod-b").IP: 1, "pod-b from " + netns.NodePodIP: 1})

	n.endpoints(web, "pod-a")
	n.sync(false, web)
	want(t, "after removing pod-b", answers(t, client, "tcp", "10.96.0.10:80", 3),
		map[string]int{"pod-a from " + node: 3})
	n.endpoints(web)
	n.sync(false, web)
	want(t, "without endpoints", answers(t, client, "tcp", "10.96.0.10:80", 1), map[string]int{"refused": 1})
}
