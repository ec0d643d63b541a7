package podroutes

import (
	"maps"
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name string, podCIDRs []string, ips ...string) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.NodeSpec{PodCIDRs: podCIDRs}}
	for _, ip := range ips {
		n.Status.Addresses = append(n.Status.Addresses, v1.NodeAddress{Type: v1.NodeInternalIP, Address: ip})
	}
	return n
}

func TestDesired(t *testing.T) {
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	legacy := node("d", nil, "192.0.2.4")
	legacy.Spec.PodCIDR = "10.244.4.0/24"
	external := node("e", []string{"10.244.5.0/24"})
	external.Status.Addresses = []v1.NodeAddress{{Type: v1.NodeExternalIP, Address: "198.51.100.5"}}
	nodes := map[string]*v1.Node{
		"self": node("self", []string{"10.244.1.0/24"}, "192.0.2.1"),
		"b":    node("b", []string{"10.244.2.0/24", "fd00:2::/64"}, "192.0.2.2", "2001:db8::2"),
		"c":    node("c", []string{"10.244.3.0/24", "fd00:3::/64"}, "192.0.2.3"), // no IPv6 address: no v6 route
		"d":    legacy,
		"e":    external, // no InternalIP: no route
		"f":    node("f", []string{"not-a-cidr"}, "192.0.2.6"),
		"a":    node("a", []string{"10.244.2.0/24"}, "192.0.2.9"), // claims b's CIDR and sorts first
	}
	want := map[netip.Prefix]netip.Addr{
		p("10.244.2.0/24"): a("192.0.2.9"),
		p("fd00:2::/64"):   a("2001:db8::2"),
		p("10.244.3.0/24"): a("192.0.2.3"),
		p("10.244.4.0/24"): a("192.0.2.4"),
	}
	if got := Desired("self", nodes); !maps.Equal(got, want) {
		t.Errorf("Desired:\n got %v\nwant %v", got, want)
	}
}
