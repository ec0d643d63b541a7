package nftables

import (
	"net/netip"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxy"
)

// Service semantics on the golden table, traced through the fake: who
// reaches which endpoints, masqueraded or not, and what is refused.
func TestServiceSemantics(t *testing.T) {
	_, r := synced(t, goldenTable())
	pod, outside, node := addr("10.244.2.5"), addr("192.0.2.9"), addr("192.0.2.1")
	eps := func(aps ...string) []netip.AddrPort {
		out := make([]netip.AddrPort, len(aps))
		for i, s := range aps {
			out[i] = netip.MustParseAddrPort(s)
		}
		return out
	}
	for _, c := range []struct {
		name    string
		pkt     packet
		targets []netip.AddrPort
		masq    bool
		verdict string
	}{
		{"ClusterIP from a pod: both endpoints, no masquerade",
			packet{src: pod, dst: addr("10.96.0.10"), proto: "tcp", dport: 80}, eps("10.244.1.2:8080", "10.244.1.3:8080"), false, "accept"},
		{"ClusterIP from outside the cluster CIDR: masqueraded",
			packet{src: outside, dst: addr("10.96.0.10"), proto: "tcp", dport: 80}, eps("10.244.1.2:8080", "10.244.1.3:8080"), true, "accept"},
		{"NodePort from outside: masqueraded",
			packet{src: outside, dst: node, dstLocal: true, proto: "tcp", dport: 30080}, eps("10.244.1.2:8080", "10.244.1.3:8080"), true, "accept"},
		{"NodePort on loopback: not served",
			packet{src: addr("127.0.0.1"), dst: addr("127.0.0.1"), srcLocal: true, dstLocal: true, proto: "tcp", dport: 30080}, nil, false, "accept"},
		{"eTP Local from outside: the local endpoint, client address kept",
			packet{src: outside, dst: addr("198.51.100.30"), proto: "tcp", dport: 80}, eps("10.244.1.8:80"), false, "accept"},
		{"eTP Local from a pod: all endpoints (short-circuit)",
			packet{src: pod, dst: addr("198.51.100.30"), proto: "tcp", dport: 80}, eps("10.244.1.8:80", "10.244.1.9:80"), false, "accept"},
		{"eTP Local from the node: all endpoints, masqueraded",
			packet{src: node, srcLocal: true, dst: addr("198.51.100.30"), proto: "tcp", dport: 80}, eps("10.244.1.8:80", "10.244.1.9:80"), true, "accept"},
		{"eTP Local without a local endpoint, from outside: dropped",
			packet{src: outside, dst: node, dstLocal: true, proto: "tcp", dport: 31101}, nil, false, "drop"},
		{"iTP Local ClusterIP: the local endpoint only",
			packet{src: pod, dst: addr("10.96.2.30"), proto: "tcp", dport: 80}, eps("10.244.1.8:80"), false, "accept"},
		{"iTP Local ClusterIP without a local endpoint: dropped",
			packet{src: pod, dst: addr("10.96.2.31"), proto: "tcp", dport: 80}, nil, false, "drop"},
		{"source ranges: a client inside reaches the LB IP",
			packet{src: addr("192.0.2.77"), dst: addr("198.51.100.20"), proto: "sctp", dport: 9000}, eps("10.244.1.5:9000", "10.244.1.6:9000", "10.244.1.7:9000"), true, "accept"},
		{"source ranges: a client outside is dropped",
			packet{src: addr("203.0.113.99"), dst: addr("198.51.100.20"), proto: "sctp", dport: 9000}, nil, false, "drop"},
		{"source ranges do not restrict the external IP",
			packet{src: addr("203.0.113.99"), dst: addr("203.0.113.7"), proto: "sctp", dport: 9000}, eps("10.244.1.5:9000", "10.244.1.6:9000", "10.244.1.7:9000"), true, "accept"},
		{"affinity: a new client may go to either endpoint",
			packet{src: pod, dst: addr("10.96.3.1"), proto: "tcp", dport: 443}, eps("10.244.1.12:8443", "10.244.1.13:8443"), false, "accept"},
		{"no endpoints: rejected",
			packet{src: pod, dst: addr("10.96.3.2"), proto: "tcp", dport: 80}, nil, false, "reject"},
		{"no endpoints, NodePort: rejected",
			packet{src: outside, dst: node, dstLocal: true, proto: "tcp", dport: 31200}, nil, false, "reject"},
		{"unused port of a live ClusterIP: rejected",
			packet{src: pod, dst: addr("10.96.0.10"), proto: "tcp", dport: 81}, nil, false, "reject"},
		{"unallocated address of the Service CIDR: dropped",
			packet{src: pod, dst: addr("10.96.9.9"), proto: "tcp", dport: 80}, nil, false, "drop"},
		{"hairpin: the local endpoint reaching itself is masqueraded",
			packet{src: addr("10.244.1.8"), dst: addr("10.96.2.30"), proto: "tcp", dport: 80}, eps("10.244.1.8:80"), true, "accept"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := trace(r.Fake, familyV4, c.pkt)
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(got.targets, func(a, b netip.AddrPort) int { return a.Compare(b) })
			if !slices.Equal(got.targets, c.targets) || got.masquerade != c.masq || got.verdict != c.verdict {
				t.Errorf("got targets %v masquerade %v verdict %s; want %v, %v, %s", got.targets, got.masquerade, got.verdict, c.targets, c.masq, c.verdict)
			}
		})
	}
}

// TestShadowedClusterIPKeepsOtherFrontends: a Service whose ClusterIP an
// older Service owns (a frontend conflict, resolved by the core) is still
// in its family: its external IP is served, the ClusterIP stays the
// owner's.
func TestShadowedClusterIPKeepsOtherFrontends(t *testing.T) {
	table := webTable()
	n := svcName("hijacker")
	table.Services[n] = &proxy.ServicePort{Name: n, ShadowedClusterIPs: []netip.Addr{addr("10.96.0.10")},
		ExternalIPs: []netip.Addr{addr("203.0.113.31")}, Port: 80, Protocol: v1.ProtocolTCP}
	table.Endpoints[n] = readyEndpoints("10.244.1.9:8080")
	_, r := synced(t, table)
	for _, c := range []struct {
		dst  string
		want netip.AddrPort
	}{{"203.0.113.31", netip.MustParseAddrPort("10.244.1.9:8080")}, {"10.96.0.10", netip.MustParseAddrPort("10.244.1.2:8080")}} {
		got, err := trace(r.Fake, familyV4, packet{src: addr("10.244.2.5"), dst: addr(c.dst), proto: "tcp", dport: 80})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(got.targets, c.want) {
			t.Errorf("%s: targets %v, want %v among them", c.dst, got.targets, c.want)
		}
	}
}
