package iptables

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/proxy"
)

// These tests run the real backend against the fake and check, by
// tracing packets, that the rules it writes do what Services promise.

var (
	addr = netip.MustParseAddr
	ap   = netip.MustParseAddrPort
)

// The fake stands in for the exec kernel in every test of this package.
var _ Kernel = (*iptablestest.FakeKernel)(nil)

var nodeAddr = addr("192.168.1.10")

func svcName(name string) proxy.ServicePortName {
	return proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: "default", Name: name}, Port: "http", Protocol: v1.ProtocolTCP}
}

func readyEndpoints(addrPorts ...string) []proxy.Endpoint {
	var out []proxy.Endpoint
	for _, s := range addrPorts {
		a := ap(s)
		out = append(out, proxy.Endpoint{Addr: a.Addr(), Port: int32(a.Port()), Ready: true})
	}
	return out
}

// webTable has default/web (ClusterIP 10.96.0.10:80, NodePort 30080, two
// endpoints) and default/empty (ClusterIP 10.96.0.11:80, no endpoints).
func webTable() *proxy.Table {
	t := proxy.NewTable()
	web, empty := svcName("web"), svcName("empty")
	t.Services[web] = &proxy.ServicePort{Name: web, ClusterIPs: []netip.Addr{addr("10.96.0.10")}, Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080}
	t.Endpoints[web] = readyEndpoints("10.244.1.2:8080", "10.244.1.3:8080")
	t.Services[empty] = &proxy.ServicePort{Name: empty, ClusterIPs: []netip.Addr{addr("10.96.0.11")}, Port: 80, Protocol: v1.ProtocolTCP}
	return t
}

func syncedFake(t *testing.T, table *proxy.Table) (*Backend, *iptablestest.FakeKernel) {
	t.Helper()
	f := iptablestest.NewFakeKernel(v1.IPv4Protocol)
	f.SetLocalAddrs(nodeAddr)
	b, err := NewWithKernel(Options{Family: v1.IPv4Protocol, MasqueradeBit: 14, ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}}, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(table, nil, true); err != nil {
		t.Fatalf("full sync: %v\npayload:\n%s", err, f.LastPayload())
	}
	return b, f
}

func spread(masq bool, p float64, addrPorts ...string) []iptablestest.Outcome {
	var out []iptablestest.Outcome
	for _, s := range addrPorts {
		out = append(out, iptablestest.Outcome{Verdict: iptablestest.Accept, DNAT: ap(s), Masqueraded: masq, Probability: p})
	}
	return out
}

func TestBackendRulesTrace(t *testing.T) {
	_, f := syncedFake(t, webTable())
	both := []string{"10.244.1.2:8080", "10.244.1.3:8080"}
	for _, tc := range []struct {
		name string
		p    iptablestest.Packet
		want []iptablestest.Outcome
	}{
		{"ClusterIP from a pod", iptablestest.TCPPacket("10.244.2.5", "10.96.0.10", 80, iptablestest.FromOutside), spread(false, 0.5, both...)},
		{"ClusterIP from outside the cluster CIDR", iptablestest.TCPPacket("192.168.1.50", "10.96.0.10", 80, iptablestest.FromOutside), spread(true, 0.5, both...)},
		{"ClusterIP from the node", iptablestest.TCPPacket("192.168.1.10", "10.96.0.10", 80, iptablestest.FromLocalProcess), spread(true, 0.5, both...)},
		{"ClusterIP, other port", iptablestest.TCPPacket("10.244.2.5", "10.96.0.10", 81, iptablestest.FromOutside), iptablestest.Accepted()},
		{"NodePort on a local address", iptablestest.TCPPacket("192.0.2.1", "192.168.1.10", 30080, iptablestest.FromOutside), spread(true, 0.5, both...)},
		{"NodePort from the node", iptablestest.TCPPacket("192.168.1.10", "192.168.1.10", 30080, iptablestest.FromLocalProcess), spread(true, 0.5, both...)},
		{"NodePort on a non-local address", iptablestest.TCPPacket("192.0.2.1", "192.168.1.99", 30080, iptablestest.FromOutside), iptablestest.Accepted()},
		{"NodePort on localhost", iptablestest.TCPPacket("127.0.0.1", "127.0.0.1", 30080, iptablestest.FromLocalProcess), iptablestest.Accepted()},
		{"Service without endpoints", iptablestest.TCPPacket("10.244.2.5", "10.96.0.11", 80, iptablestest.FromOutside), []iptablestest.Outcome{{Verdict: iptablestest.Reject, Probability: 1}}},
		{"Service without endpoints from the node", iptablestest.TCPPacket("192.168.1.10", "10.96.0.11", 80, iptablestest.FromLocalProcess), []iptablestest.Outcome{{Verdict: iptablestest.Reject, Probability: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, tc.p), tc.want)
		})
	}
}

func TestBackendPartialSyncTrace(t *testing.T) {
	table := webTable()
	b, f := syncedFake(t, table)
	web, empty := svcName("web"), svcName("empty")
	table.Endpoints[web] = table.Endpoints[web][:1]
	table.Endpoints[empty] = readyEndpoints("10.244.1.4:8080")
	if err := b.Sync(table, sets.New(web, empty), false); err != nil {
		t.Fatalf("partial sync: %v\npayload:\n%s", err, f.LastPayload())
	}
	if strings.Contains(f.LastPayload(), "NODENET-NP-") && !strings.Contains(f.LastPayload(), "NODENET-NP-0758") {
		t.Errorf("partial sync rewrote unrelated NodePort shards:\n%s", f.LastPayload())
	}
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("10.244.2.5", "10.96.0.10", 80, iptablestest.FromOutside)), spread(false, 1, "10.244.1.2:8080"))
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("192.0.2.1", "192.168.1.10", 30080, iptablestest.FromOutside)), spread(true, 1, "10.244.1.2:8080"))
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("10.244.2.5", "10.96.0.11", 80, iptablestest.FromOutside)), spread(false, 1, "10.244.1.4:8080"))

	// Losing its last endpoint turns the Service into a reject again, and
	// a later full sync (which reads the shard chains back) agrees.
	delete(table.Endpoints, web)
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatalf("partial sync: %v\npayload:\n%s", err, f.LastPayload())
	}
	for _, full := range []bool{false, true} {
		if full {
			if err := b.Sync(table, nil, true); err != nil {
				t.Fatalf("full sync: %v", err)
			}
		}
		iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("10.244.2.5", "10.96.0.10", 80, iptablestest.FromOutside)), []iptablestest.Outcome{{Verdict: iptablestest.Reject, Probability: 1}})
		iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("192.0.2.1", "192.168.1.10", 30080, iptablestest.FromOutside)), []iptablestest.Outcome{{Verdict: iptablestest.Reject, Probability: 1}})
	}
}

func TestBackendCleanupOnFake(t *testing.T) {
	_, f := syncedFake(t, webTable())
	if err := CleanupKernel(f); err != nil {
		t.Fatalf("cleanup: %v", err)
	}
	if d := f.Dump(); strings.Contains(d, chainPrefix) {
		t.Fatalf("cleanup left nodenet rules:\n%s", d)
	}
}

func TestBackendIPv6Trace(t *testing.T) {
	f := iptablestest.NewFakeKernel(v1.IPv6Protocol)
	b, err := NewWithKernel(Options{Family: v1.IPv6Protocol, MasqueradeBit: 14, ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("fd00:244::/64")}}, f)
	if err != nil {
		t.Fatal(err)
	}
	table := proxy.NewTable()
	web := svcName("web")
	table.Services[web] = &proxy.ServicePort{Name: web, ClusterIPs: []netip.Addr{addr("fd00:96::a")}, Port: 80, Protocol: v1.ProtocolTCP}
	table.Endpoints[web] = readyEndpoints("[fd00:244::2]:8080", "[fd00:244::3]:8080")
	if err := b.Sync(table, nil, true); err != nil {
		t.Fatalf("sync: %v\npayload:\n%s", err, f.LastPayload())
	}
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("fd00:244::9", "fd00:96::a", 80, iptablestest.FromOutside)),
		spread(false, 0.5, "[fd00:244::2]:8080", "[fd00:244::3]:8080"))
}
