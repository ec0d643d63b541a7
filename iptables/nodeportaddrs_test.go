package iptables

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/nodeport"
	"github.com/nodenet/nodenet/proxy"
)

// podNetAddr is the node's second local address, on the pod network.
var podNetAddr = addr("10.244.1.1")

func primaryFake(t *testing.T) (*Backend, *iptablestest.FakeKernel) {
	t.Helper()
	f := iptablestest.NewFakeKernel(v1.IPv4Protocol)
	f.SetLocalAddrs(nodeAddr, podNetAddr)
	b, err := NewWithKernel(Options{Family: v1.IPv4Protocol, MasqueradeBit: 14, NodePorts: nodeport.Addresses{Primary: true}}, f)
	if err != nil {
		t.Fatal(err)
	}
	return b, f
}

// syncNothingChanged is a partial sync with no changed Service: only the
// primary IPs can make it write anything.
func syncNothingChanged(t *testing.T, b *Backend, f *iptablestest.FakeKernel, table *proxy.Table) {
	t.Helper()
	if err := b.Sync(table, sets.New[proxy.ServicePortName](), false); err != nil {
		t.Fatalf("%v\n%s", err, f.LastPayload())
	}
}

func nodePortCases(dnatOn, untouchedOn netip.Addr) []traceCase {
	var out []traceCase
	if dnatOn.IsValid() {
		out = append(out, traceCase{"NodePort on " + dnatOn.String(), iptablestest.TCPPacket("192.0.2.1", dnatOn.String(), 30080, iptablestest.FromOutside), spread(true, 0.5, bothEndpoints...)})
	}
	return append(out, traceCase{"NodePort on " + untouchedOn.String(), iptablestest.TCPPacket("192.0.2.1", untouchedOn.String(), 30080, iptablestest.FromOutside), iptablestest.Accepted()})
}

func TestNodePortPrimaryTrace(t *testing.T) {
	b, f := primaryFake(t)
	table := webTable()
	if err := b.Sync(table, nil, true); err != nil {
		t.Fatal(err)
	}
	t.Run("unknown node IPs: nowhere", func(t *testing.T) {
		runTraceCases(t, f, append(nodePortCases(netip.Addr{}, nodeAddr), nodePortCases(netip.Addr{}, podNetAddr)...))
	})
	table.Node.PrimaryIPs = []netip.Addr{nodeAddr, addr("fd00::1")}
	syncNothingChanged(t, b, f, table)
	t.Run("primary IP only", func(t *testing.T) { runTraceCases(t, f, nodePortCases(nodeAddr, podNetAddr)) })
	table.Node.PrimaryIPs = []netip.Addr{podNetAddr}
	syncNothingChanged(t, b, f, table)
	t.Run("after the Node's IP changed", func(t *testing.T) { runTraceCases(t, f, nodePortCases(podNetAddr, nodeAddr)) })
	// The same IPs again change nothing: the next sync writes nothing.
	table.Node.PrimaryIPs = []netip.Addr{podNetAddr}
	before := f.Restores()
	syncNothingChanged(t, b, f, table)
	if f.Restores() != before && strings.Contains(f.LastPayload(), ":"+natServices) {
		t.Errorf("unchanged primary IPs rewrote the dispatch chains:\n%s", f.LastPayload())
	}
}

func TestNodePortPrimaryExcludesCIDRs(t *testing.T) {
	_, err := NewWithKernel(Options{Family: v1.IPv4Protocol, NodePorts: nodeport.Addresses{Primary: true,
		CIDRs: []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")}}}, iptablestest.NewFakeKernel(v1.IPv4Protocol))
	if err == nil {
		t.Fatal("primary with CIDRs was accepted")
	}
}

func TestGoldenNodePortPrimaryPayload(t *testing.T) {
	b, f := primaryFake(t)
	table := webTable()
	table.Node.PrimaryIPs = []netip.Addr{nodeAddr}
	if err := b.Sync(table, nil, true); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "nodeport-primary.golden", f.LastPayload())
}
