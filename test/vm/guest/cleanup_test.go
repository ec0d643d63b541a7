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

// TestCleanupLeavesOnlyOthers: `nodenet cleanup`'s IPVS part removes the
// virtual servers, the dummy interface, the sets and the chains nodenet
// made, keeps another program's virtual server, and can run twice.
func TestCleanupLeavesOnlyOthers(t *testing.T) {
	n := newIPVSNode(t, "pod-a")
	node := n.topo.Node
	n.service("web", v1.ProtocolTCP, proxy.ServicePort{ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.10")},
		NodePort: 30080, LoadBalancerSourceRanges: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}}, "pod-a")
	n.sync(true)
	node.Run(t, "ipvsadm", "-A", "-t", netns.NodeExtIP+":80", "-s", "rr") // someone else's
	for range 2 {
		var err error
		inNS(t, node.Name, func() { err = ipvs.Mode{}.Cleanup(v1.IPv4Protocol) })
		if err != nil {
			t.Fatalf("cleanup: %v", err)
		}
	}
	vs := node.Run(t, "ipvsadm", "-Sn")
	if strings.TrimSpace(vs) != "-A -t "+netns.NodeExtIP+":80 -s rr" {
		t.Errorf("virtual servers after cleanup:\n%s\nwant only the foreign one", vs)
	}
	for _, check := range [][]string{{"ipset", "list", "-n"}, {"iptables-save"}, {"ip", "link"}} {
		if out, _ := node.Exec(check...); strings.Contains(out, "NODENET") || strings.Contains(out, ipvs.DummyName) {
			t.Errorf("%s after cleanup:\n%s", check[0], out)
		}
	}
}
