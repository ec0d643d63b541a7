//go:build vmguest

package guest

import (
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/test/netns"
)

// TestIPv6Masquerade: the IPv6 backend's virtual servers carry TCP and
// UDP, and its ip6tables rules masquerade as in IPv4: an outside client
// on the ClusterIP and the NodePort is seen as the node's address towards
// the pods, a pod inside the cluster CIDR as itself, and a pod reaching
// itself (hairpin) as the node.
func TestIPv6Masquerade(t *testing.T) {
	n := newIPVSNodeWith(t, ipvs.Config{Family: v1.IPv6Protocol}, "pod-a", "pod-b")
	clusterIP := netip.MustParseAddr("fd00:10:96::10")
	n.service("web6", v1.ProtocolTCP, proxy.ServicePort{ClusterIPs: []netip.Addr{clusterIP}, NodePort: 30080}, "pod-a")
	n.service("dns6", v1.ProtocolUDP, proxy.ServicePort{ClusterIPs: []netip.Addr{clusterIP}}, "pod-a")
	n.sync(true)

	vip := netip.AddrPortFrom(clusterIP, 80).String()
	node := netns.NodePodIP6
	client := n.topo.Client.Name
	podA, podB := n.topo.Pod(t, "pod-a"), n.topo.Pod(t, "pod-b")
	want(t, "client to IPv6 ClusterIP", answers(t, client, "tcp", vip, 2), map[string]int{"pod-a from " + node: 2})
	want(t, "client to IPv6 UDP ClusterIP", answers(t, client, "udp", vip, 2), map[string]int{"pod-a from " + node: 2})
	want(t, "client to IPv6 NodePort", answers(t, client, "tcp", "["+netns.NodeExtIP6+"]:30080", 2),
		map[string]int{"pod-a from " + node: 2})
	want(t, "pod-b to IPv6 ClusterIP", answers(t, podB.Name, "tcp", vip, 2), map[string]int{"pod-a from " + podB.IP6: 2})
	want(t, "pod-a to itself (hairpin)", answers(t, podA.Name, "tcp", vip, 1), map[string]int{"pod-a from " + node: 1})
}
