package iptables

import (
	"net/netip"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/proxy"
)

// localWebTable is webTable's web with externalTrafficPolicy Local, a
// load-balancer IP and an external IP; 10.244.1.2 runs on this node,
// 10.244.1.3 on another.
func localWebTable() *proxy.Table {
	t := webTable()
	web := svcName("web")
	sp := *t.Services[web]
	sp.ExternalPolicyLocal = true
	sp.LoadBalancerIPs = []netip.Addr{addr("203.0.113.10")}
	sp.ExternalIPs = []netip.Addr{addr("203.0.113.20")}
	t.Services[web] = &sp
	t.Endpoints[web][0].IsLocal = true
	return t
}

var (
	bothEndpoints = []string{"10.244.1.2:8080", "10.244.1.3:8080"}
	dropped       = []iptablestest.Outcome{{Verdict: iptablestest.Drop, Probability: 1}}
)

// externalCases traces every external frontend of localWebTable from
// outside, from a pod and from the node; outside is what a client outside
// the cluster gets.
func externalCases(outside []iptablestest.Outcome) []struct {
	name string
	p    iptablestest.Packet
	want []iptablestest.Outcome
} {
	type tc = struct {
		name string
		p    iptablestest.Packet
		want []iptablestest.Outcome
	}
	var out []tc
	for _, fe := range []struct {
		name, dst string
		port      int
	}{{"NodePort", "192.168.1.10", 30080}, {"LB IP", "203.0.113.10", 80}, {"external IP", "203.0.113.20", 80}} {
		out = append(out,
			tc{fe.name + " from outside", iptablestest.TCPPacket("192.0.2.1", fe.dst, fe.port, iptablestest.FromOutside), outside},
			// Pods and the node are short-circuited to all endpoints, as kube-proxy.
			tc{fe.name + " from a pod", iptablestest.TCPPacket("10.244.2.5", fe.dst, fe.port, iptablestest.FromOutside), spread(false, 0.5, bothEndpoints...)},
			tc{fe.name + " from the node", iptablestest.TCPPacket("192.168.1.10", fe.dst, fe.port, iptablestest.FromLocalProcess), spread(true, 0.5, bothEndpoints...)},
		)
	}
	// The ClusterIP is internal traffic: the Cluster policy still applies.
	return append(out, tc{"ClusterIP from a pod", iptablestest.TCPPacket("10.244.2.5", "10.96.0.10", 80, iptablestest.FromOutside), spread(false, 0.5, bothEndpoints...)})
}

func TestExternalPolicyLocalTrace(t *testing.T) {
	_, f := syncedFake(t, localWebTable())
	for _, tc := range externalCases(spread(false, 1, "10.244.1.2:8080")) {
		t.Run(tc.name, func(t *testing.T) { iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, tc.p), tc.want) })
	}
}

func TestExternalPolicyLocalWithoutLocalEndpointsDrops(t *testing.T) {
	table := localWebTable()
	table.Endpoints[svcName("web")][0].IsLocal = false
	_, f := syncedFake(t, table)
	for _, tc := range externalCases(dropped) {
		t.Run(tc.name, func(t *testing.T) { iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, tc.p), tc.want) })
	}
}

// A local endpoint that is only serving-terminating still takes the
// external traffic when the ready ones are all remote (topology.go).
func TestExternalPolicyLocalFallsBackToLocalTerminating(t *testing.T) {
	table := localWebTable()
	web := svcName("web")
	table.Endpoints[web][0].Ready, table.Endpoints[web][0].Serving, table.Endpoints[web][0].Terminating = false, true, true
	b, f := syncedFake(t, table)
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("192.0.2.1", "192.168.1.10", 30080, iptablestest.FromOutside)), spread(false, 1, "10.244.1.2:8080"))
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("10.244.2.5", "192.168.1.10", 30080, iptablestest.FromOutside)), spread(false, 1, "10.244.1.3:8080"))
	// It can hairpin (connect to its own NodePort from outside the
	// cluster CIDR), so it has a hairpin rule though Cluster ignores it.
	if !strings.Contains(f.Dump(), "-s 10.244.1.2/32 -d 10.244.1.2/32") {
		t.Errorf("no hairpin rule for the local terminating endpoint:\n%s", f.Dump())
	}

	// The local endpoint goes away in a partial sync: outside traffic is dropped.
	table.Endpoints[web] = table.Endpoints[web][1:]
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatal(err)
	}
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("192.0.2.1", "192.168.1.10", 30080, iptablestest.FromOutside)), dropped)
}

func TestExternalPolicyLocalWithoutEndpointsRejects(t *testing.T) {
	table := localWebTable()
	delete(table.Endpoints, svcName("web"))
	_, f := syncedFake(t, table)
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("192.0.2.1", "192.168.1.10", 30080, iptablestest.FromOutside)), []iptablestest.Outcome{{Verdict: iptablestest.Reject, Probability: 1}})
}

func TestInternalPolicyLocalTrace(t *testing.T) {
	table := webTable()
	web := svcName("web")
	sp := *table.Services[web]
	sp.InternalPolicyLocal = true
	table.Services[web] = &sp
	table.Endpoints[web][0].IsLocal = true
	b, f := syncedFake(t, table)
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("10.244.2.5", "10.96.0.10", 80, iptablestest.FromOutside)), spread(false, 1, "10.244.1.2:8080"))
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("192.168.1.10", "10.96.0.10", 80, iptablestest.FromLocalProcess)), spread(true, 1, "10.244.1.2:8080"))
	// The NodePort is external traffic: the Cluster policy still applies.
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("192.0.2.1", "192.168.1.10", 30080, iptablestest.FromOutside)), spread(true, 0.5, bothEndpoints...))

	// No local endpoint left: kube-proxy drops ClusterIP traffic.
	table.Endpoints[web][0].IsLocal = false
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatal(err)
	}
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("10.244.2.5", "10.96.0.10", 80, iptablestest.FromOutside)), dropped)
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f, iptablestest.TCPPacket("192.168.1.10", "10.96.0.10", 80, iptablestest.FromLocalProcess)), dropped)
}
