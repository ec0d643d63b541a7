//go:build vmguest

package guest

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/moby/ipvs"

	"github.com/nodenet/nodenet/test/netns"
)

// TestIPVSCarriesTCP proves the harness: a round-robin NAT virtual server
// programmed with moby/ipvs in the node's namespace sends the outside
// client's connections to both pods.
func TestIPVSCarriesTCP(t *testing.T) {
	topo := netns.NewProxyTopology(t, "v", "pod-a", "pod-b")
	for _, p := range topo.Pods {
		p.StartEcho(t, 8080, 0)
	}
	const vip = "10.96.0.10"
	node := topo.Node
	node.IP(t, "link", "add", "nnt-vip0", "type", "dummy")
	node.AddAddr(t, "nnt-vip0", vip+"/32")
	h, err := ipvs.New("/run/netns/" + node.Name)
	if err != nil {
		t.Fatalf("ipvs handle in %s: %v", node.Name, err)
	}
	defer h.Close()
	svc := &ipvs.Service{Address: net.ParseIP(vip).To4(), Protocol: syscall.IPPROTO_TCP, Port: 80,
		SchedName: "rr", AddressFamily: syscall.AF_INET, Netmask: 0xffffffff}
	if err := h.NewService(svc); err != nil {
		t.Fatalf("adding virtual server: %v", err)
	}
	for _, p := range topo.Pods {
		d := &ipvs.Destination{Address: net.ParseIP(p.IP).To4(), Port: 8080, Weight: 1,
			ConnectionFlags: ipvs.ConnectionFlagMasq, AddressFamily: syscall.AF_INET}
		if err := h.NewDestination(svc, d); err != nil {
			t.Fatalf("adding real server %s: %v", p.IP, err)
		}
	}
	answers, err := netns.Dial(topo.Client.Name, "tcp", vip+":80", 6, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, a := range answers {
		if a.Err != "" {
			t.Fatalf("connection failed: %s", a.Line)
		}
		seen[a.Pod]++
	}
	if seen["pod-a"] != 3 || seen["pod-b"] != 3 {
		t.Errorf("round robin over two pods: got %v, want 3 each", seen)
	}
}
