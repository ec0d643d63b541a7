//go:build vmguest

package guest

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/test/netns"
)

// TestStrictARP: by default the node answers an ARP request on its
// outside link for a ClusterIP bound to nodenet-ipvs0 (Linux answers for
// any local address on any link: arp_ignore=0), which on a layer-2
// network steals the address from whoever owns it (MetalLB's speakers).
// --ipvs-strict-arp, as kube-proxy's strictARP, sets arp_ignore=1 (answer
// only for addresses of the receiving link) and arp_announce=2, and the
// same request gets no answer while the Service still carries traffic.
func TestStrictARP(t *testing.T) {
	for _, strict := range []bool{false, true} {
		name := "default"
		if strict {
			name = "strict"
		}
		t.Run(name, func(t *testing.T) {
			n := newIPVSNodeWith(t, ipvs.Config{StrictARP: strict}, "pod-a")
			n.service("web", v1.ProtocolTCP, proxy.ServicePort{ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.50")}}, "pod-a")
			n.sync(true)
			node := n.topo.Node
			sysctls := map[string]string{"net.ipv4.conf.all.arp_ignore": "0", "net.ipv4.conf.all.arp_announce": "0"}
			if strict {
				sysctls = map[string]string{"net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2"}
			}
			for key, value := range sysctls {
				if got := strings.TrimSpace(node.Run(t, "sysctl", "-n", key)); got != value {
					t.Errorf("%s = %s, want %s", key, got, value)
				}
			}
			// busybox arping: one request on the client's link to the node,
			// "Received N response(s)".
			out, _ := n.topo.Client.Exec("arping", "-c", "1", "-w", "2", "-I", "eth0", "10.96.0.50")
			replied := strings.Contains(out, "Received 1 response")
			if replied == strict {
				t.Errorf("ARP request for the ClusterIP from the client's link (strict ARP %v): replied %v, want %v:\n%s",
					strict, replied, !strict, out)
			}
			if !replied && !strings.Contains(out, "Received 0 response") {
				t.Errorf("arping gave no count:\n%s", out)
			}
			want(t, "client to ClusterIP", answers(t, n.topo.Client.Name, "tcp", "10.96.0.50:80", 1),
				map[string]int{"pod-a from " + netns.NodePodIP: 1})
		})
	}
}
