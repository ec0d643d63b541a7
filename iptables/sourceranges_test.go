package iptables

import (
	"net/netip"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/proxy"
)

const lbAddr = "203.0.113.10"

// rangedWebTable is webTable's web with a load-balancer IP open to
// 192.0.2.0/28 and to the pods of 10.244.2.0/24 only.
func rangedWebTable(localPolicy bool) *proxy.Table {
	t := webTable()
	web := svcName("web")
	sp := *t.Services[web]
	sp.LoadBalancerIPs = []netip.Addr{addr(lbAddr)}
	sp.LoadBalancerSourceRanges = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/28"), netip.MustParsePrefix("10.244.2.0/24")}
	sp.ExternalPolicyLocal = localPolicy
	t.Services[web] = &sp
	t.Endpoints[web][0].IsLocal = true
	return t
}

type traceCase struct {
	name string
	p    iptablestest.Packet
	want []iptablestest.Outcome
}

func runTraceCases(t *testing.T, f *iptablestest.FakeKernel, cases []traceCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, tc.p), tc.want) })
	}
}

func TestSourceRangesTrace(t *testing.T) {
	_, f := syncedFake(t, rangedWebTable(false))
	runTraceCases(t, f, []traceCase{
		{"allowed client", iptablestest.TCPPacket("192.0.2.1", lbAddr, 80, iptablestest.FromOutside), spread(true, 0.5, bothEndpoints...)},
		{"other client", iptablestest.TCPPacket("198.51.100.9", lbAddr, 80, iptablestest.FromOutside), dropped},
		{"allowed pod", iptablestest.TCPPacket("10.244.2.5", lbAddr, 80, iptablestest.FromOutside), spread(true, 0.5, bothEndpoints...)},
		{"other pod", iptablestest.TCPPacket("10.244.3.5", lbAddr, 80, iptablestest.FromOutside), dropped},
		{"the node, outside the ranges", iptablestest.TCPPacket("192.168.1.10", lbAddr, 80, iptablestest.FromLocalProcess), dropped},
		// Only load-balancer IPs are restricted, as in kube-proxy.
		{"NodePort from another client", iptablestest.TCPPacket("198.51.100.9", "192.168.1.10", 30080, iptablestest.FromOutside), spread(true, 0.5, bothEndpoints...)},
		{"ClusterIP from another pod", iptablestest.TCPPacket("10.244.3.5", "10.96.0.10", 80, iptablestest.FromOutside), spread(false, 0.5, bothEndpoints...)},
	})
}

func TestSourceRangesWithLocalPolicyTrace(t *testing.T) {
	_, f := syncedFake(t, rangedWebTable(true))
	runTraceCases(t, f, []traceCase{
		{"allowed client keeps its address", iptablestest.TCPPacket("192.0.2.1", lbAddr, 80, iptablestest.FromOutside), spread(false, 1, "10.244.1.2:8080")},
		{"other client", iptablestest.TCPPacket("198.51.100.9", lbAddr, 80, iptablestest.FromOutside), dropped},
		{"allowed pod reaches all endpoints", iptablestest.TCPPacket("10.244.2.5", lbAddr, 80, iptablestest.FromOutside), spread(false, 0.5, bothEndpoints...)},
		{"other pod", iptablestest.TCPPacket("10.244.3.5", lbAddr, 80, iptablestest.FromOutside), dropped},
	})
}

// Without endpoints, allowed clients are refused as usual; the others are
// dropped, so they learn nothing about the Service.
func TestSourceRangesWithoutEndpointsTrace(t *testing.T) {
	table := rangedWebTable(false)
	delete(table.Endpoints, svcName("web"))
	_, f := syncedFake(t, table)
	runTraceCases(t, f, []traceCase{
		{"allowed client", iptablestest.TCPPacket("192.0.2.1", lbAddr, 80, iptablestest.FromOutside), []iptablestest.Outcome{{Verdict: iptablestest.Reject, Probability: 1}}},
		{"other client", iptablestest.TCPPacket("198.51.100.9", lbAddr, 80, iptablestest.FromOutside), dropped},
	})
}

// Ranges of the other family only: this family's load-balancer IP is
// closed to everyone (fail closed).
func TestSourceRangesOfOtherFamilyOnlyDrop(t *testing.T) {
	table := rangedWebTable(false)
	table.Services[svcName("web")].LoadBalancerSourceRanges = []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}
	_, f := syncedFake(t, table)
	runTraceCases(t, f, []traceCase{{"any client", iptablestest.TCPPacket("192.0.2.1", lbAddr, 80, iptablestest.FromOutside), dropped}})
}

func TestGoldenSourceRangesPayload(t *testing.T) {
	_, f := syncedFake(t, rangedWebTable(true))
	checkGolden(t, "source-ranges.golden", f.LastPayload())
}

func TestIntersect(t *testing.T) {
	p := netip.MustParsePrefix
	for _, tc := range []struct {
		a, b netip.Prefix
		want netip.Prefix
		ok   bool
	}{
		{netip.Prefix{}, p("10.0.0.0/8"), p("10.0.0.0/8"), true},
		{p("10.244.0.0/16"), p("10.0.0.0/8"), p("10.244.0.0/16"), true},
		{p("10.0.0.0/8"), p("10.244.2.0/24"), p("10.244.2.0/24"), true},
		{p("10.244.0.0/16"), p("192.0.2.0/24"), netip.Prefix{}, false},
	} {
		got, ok := intersect(tc.a, tc.b)
		if got != tc.want || ok != tc.ok {
			t.Errorf("intersect(%v, %v) = %v, %v; want %v, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

// A change of the ranges alone rewrites the shard in a partial sync.
func TestSourceRangesChangePartialSync(t *testing.T) {
	table := rangedWebTable(false)
	b, f := syncedFake(t, table)
	web := svcName("web")
	sp := *table.Services[web]
	sp.LoadBalancerSourceRanges = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
	table.Services[web] = &sp
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatalf("%v\n%s", err, f.LastPayload())
	}
	runTraceCases(t, f, []traceCase{
		{"newly allowed client", iptablestest.TCPPacket("198.51.100.9", lbAddr, 80, iptablestest.FromOutside), spread(true, 0.5, bothEndpoints...)},
		{"no longer allowed client", iptablestest.TCPPacket("192.0.2.1", lbAddr, 80, iptablestest.FromOutside), dropped},
	})
	// Without ranges the load-balancer IP is open again, DROP gone.
	sp.LoadBalancerSourceRanges = nil
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatalf("%v\n%s", err, f.LastPayload())
	}
	runTraceCases(t, f, []traceCase{{"any client", iptablestest.TCPPacket("192.0.2.1", lbAddr, 80, iptablestest.FromOutside), spread(true, 0.5, bothEndpoints...)}})
}
