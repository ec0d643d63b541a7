package netns

import (
	"fmt"
	"testing"
)

// Addresses of the proxy topology. The outside network is TEST-NET-1 and
// LoadBalancer/external IPs come from TEST-NET-3: documentation ranges that
// are never routed anywhere, and only inside the test namespaces here.
const (
	BridgeName   = "nnt-br0"
	PodCIDR      = "10.244.1.0/24"
	NodePodIP    = "10.244.1.1"
	ServiceCIDR  = "10.96.0.0/12"
	NodeExtIP    = "192.0.2.1"
	ClientIP     = "192.0.2.10"
	ExternalCIDR = "203.0.113.0/24"
)

// IPv6 addresses of the same topology (every topology is dual-stack): a
// ULA pod network and the documentation prefix 2001:db8::/32 outside,
// never routed out of the test namespaces.
const (
	PodCIDR6      = "fd00:10:244:1::/64"
	NodePodIP6    = "fd00:10:244:1::1"
	ServiceCIDR6  = "fd00:10:96::/112"
	NodeExtIP6    = "2001:db8::1"
	ClientIP6     = "2001:db8::10"
	clusterCIDR6  = "fd00:10:244::/48"
	ExternalCIDR6 = "2001:db8:1::/64"
)

// Pod is one pod namespace on the node's bridge.
type Pod struct {
	*NS
	PodName string // e.g. "pod-a": what its echo server answers with
	IP      string // e.g. "10.244.1.10"
	IP6     string // e.g. "fd00:10:244:1::a"
}

// ProxyTopology is one node with pods on a bridge and an outside client,
// in both IP families:
//
//	client 192.0.2.10 --veth-- 192.0.2.1 [node 10.244.1.1 nnt-br0] --veth-- pod-a 10.244.1.10
//	                                                               --veth-- pod-b 10.244.1.11 ...
//	       2001:db8::10        2001:db8::1   fd00:10:244:1::1                  fd00:10:244:1::a, ::b ...
type ProxyTopology struct {
	Prefix string
	Node   *NS
	Client *NS
	Pods   []*Pod
}

// NewProxyTopology builds the topology for pods named podNames (IPs
// 10.244.1.10, .11, ... and fd00:10:244:1::a, ::b, ...) in namespaces
// "<nnt-tag-xxxx>-<role>".
func NewProxyTopology(t testing.TB, tag string, podNames ...string) *ProxyTopology {
	t.Helper()
	RequireRoot(t)
	prefix := UniquePrefix(tag)
	topo := &ProxyTopology{Prefix: prefix}
	topo.Node = newNode(t, prefix+"-node")
	topo.Client = newClient(t, prefix+"-client", topo.Node)
	for i, name := range podNames {
		topo.AddPod(t, name, i)
	}
	return topo
}

// AddPod attaches one more pod, numbered i (addresses 10.244.1.<10+i> and
// fd00:10:244:1::<10+i in hex>), e.g. a pod that starts after the agent.
func (topo *ProxyTopology) AddPod(t testing.TB, name string, i int) *Pod {
	t.Helper()
	pod := &Pod{PodName: name, IP: fmt.Sprintf("10.244.1.%d", 10+i), IP6: fmt.Sprintf("fd00:10:244:1::%x", 10+i)}
	topo.Pods = append(topo.Pods, newPod(t, topo.Prefix+"-"+name, pod, i, topo.Node))
	return pod
}

// newNode makes the node: a bridge for pods, forwarding on, bridged
// traffic through iptables (br_netfilter, as kube-proxy requires), and a
// route for the Service CIDR so that the node's own connections to a
// ClusterIP find a route before the OUTPUT DNAT (a real node has a default
// route for that; a test namespace must not).
//
// That route points back into the bridge, so a pod's packet to a ClusterIP
// leaves by the interface it came in on, and the kernel would answer it
// with an ICMP redirect, which uses up the per-host ICMP rate limit and
// swallows the port-unreachable of a Service without endpoints. A real
// node routes it out another interface; here redirects are turned off.
func newNode(t testing.TB, name string) *NS {
	node := New(t, name)
	noDAD(t, node)
	node.Sysctl(t, "net.ipv4.conf.all.send_redirects", "0")
	node.Sysctl(t, "net.ipv4.conf.default.send_redirects", "0")
	node.AddBridge(t, BridgeName)
	node.AddAddr(t, BridgeName, NodePodIP+"/24")
	node.Sysctl(t, "net.ipv4.ip_forward", "1")
	node.Sysctl(t, "net.bridge.bridge-nf-call-iptables", "1")
	node.AddRoute(t, ServiceCIDR, "", BridgeName)
	// IPv6: the same, and no ICMPv6 rate limit, which stands in for the
	// redirects (IPv6 has no switch to stop sending them) using up the
	// limit and swallowing a port-unreachable.
	node.Sysctl(t, "net.ipv6.conf.all.forwarding", "1")
	node.Sysctl(t, "net.ipv6.icmp.ratelimit", "0")
	node.Sysctl(t, "net.bridge.bridge-nf-call-ip6tables", "1")
	node.AddAddr(t, BridgeName, NodePodIP6+"/64")
	node.AddRoute(t, ServiceCIDR6, "", BridgeName)
	return node
}

// newClient makes the outside client, reaching the node over "ext0", with
// routes to Service, pod and external ranges through the node only.
func newClient(t testing.TB, name string, node *NS) *NS {
	client := New(t, name)
	noDAD(t, client)
	node.Veth(t, "ext0", client, "eth0")
	node.AddAddr(t, "ext0", NodeExtIP+"/24")
	client.AddAddr(t, "eth0", ClientIP+"/24")
	for _, dst := range []string{ServiceCIDR, ExternalCIDR, "10.244.0.0/16"} {
		client.AddRoute(t, dst, NodeExtIP, "")
	}
	node.AddAddr(t, "ext0", NodeExtIP6+"/64")
	client.AddAddr(t, "eth0", ClientIP6+"/64")
	for _, dst := range []string{ServiceCIDR6, ExternalCIDR6, clusterCIDR6} {
		client.AddRoute(t, dst, NodeExtIP6, "")
	}
	return client
}

// newPod makes pod i, its veth "nnt-v<i>" on the node's bridge and
// default routes via the node (inside the test namespaces only).
func newPod(t testing.TB, nsName string, pod *Pod, i int, node *NS) *Pod {
	pod.NS = New(t, nsName)
	noDAD(t, pod.NS)
	// The node routes the Service CIDR back into the bridge, so it sends
	// the pod an ICMPv6 redirect ("this address is on-link") for a
	// ClusterIP it does not DNAT (no endpoints: REJECT); a pod that obeyed
	// would then look for the ClusterIP on its link. IPv6 has no switch to
	// stop the node sending redirects, so the pods ignore them.
	pod.Sysctl(t, "net.ipv6.conf.all.accept_redirects", "0")
	pod.Sysctl(t, "net.ipv6.conf.default.accept_redirects", "0")
	hostSide := fmt.Sprintf("nnt-v%d", i)
	node.Veth(t, hostSide, pod.NS, "eth0")
	node.AttachToBridge(t, hostSide, BridgeName)
	pod.AddAddr(t, "eth0", pod.IP+"/24")
	pod.AddRoute(t, "default", NodePodIP, "")
	pod.AddAddr(t, "eth0", pod.IP6+"/64")
	pod.AddRoute(t, "default", NodePodIP6, "")
	return pod
}

// Pod returns the pod named podName or fails the test.
func (topo *ProxyTopology) Pod(t testing.TB, podName string) *Pod {
	t.Helper()
	for _, p := range topo.Pods {
		if p.PodName == podName {
			return p
		}
	}
	t.Fatalf("no pod %q in topology", podName)
	return nil
}

// noDAD turns duplicate address detection off for interfaces made in ns
// from now on, link-local addresses included: nothing here can clash, and
// nothing should wait the second or so a tentative address takes.
func noDAD(t testing.TB, ns *NS) {
	t.Helper()
	ns.Sysctl(t, "net.ipv6.conf.all.accept_dad", "0")
	ns.Sysctl(t, "net.ipv6.conf.default.accept_dad", "0")
}
