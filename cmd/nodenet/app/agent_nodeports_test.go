package app

import (
	"net/netip"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/proxy"
)

func TestParseNodePortAddresses(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		want    []netip.Prefix
		primary bool
	}{
		{nil, nil, false},
		{[]string{"primary"}, nil, true},
		{[]string{" primary ", ""}, nil, true},
		{[]string{"192.168.1.7/24", "10.0.0.7/32"}, prefixes("192.168.1.0/24", "10.0.0.7/32"), false},
	} {
		got, primary, err := parseNodePortAddresses(tc.in)
		if err != nil || primary != tc.primary || !slices.Equal(got, tc.want) {
			t.Errorf("parseNodePortAddresses(%q) = %v, %v, %v; want %v, %v", tc.in, got, primary, err, tc.want, tc.primary)
		}
	}
}

func TestAgentFlagsNodePortPrimary(t *testing.T) {
	cfg, err := parseAgentFlags(t, "--nodeport-addresses=primary", "--manifests="+t.TempDir()).complete(fixedHostname("node-a"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.NodePortPrimary || len(cfg.NodePortAddresses) != 0 {
		t.Errorf("NodePortPrimary = %v, NodePortAddresses = %v; want true and none", cfg.NodePortPrimary, cfg.NodePortAddresses)
	}
}

// countingBackend records syncs, to see the Node handler ask for a full one.
type countingBackend struct{ full int }

func (c *countingBackend) Sync(_ *proxy.Table, _ sets.Set[proxy.ServicePortName], full bool) error {
	if full {
		c.full++
	}
	return nil
}

// The handler added for primary sits beside the proxier's own Node handler.
func TestWithPrimaryNodeIPsAddsHandler(t *testing.T) {
	b, err := iptables.NewWithKernel(iptables.Options{Family: v1.IPv4Protocol, NodePortPrimary: true}, iptables.NewFakeKernel(v1.IPv4Protocol))
	if err != nil {
		t.Fatal(err)
	}
	p := proxy.NewProxier(proxy.Config{NodeName: "node-a"}, &countingBackend{})
	base := p.Handlers()
	if h := withPrimaryNodeIPs(base, &agentConfig{}, p, []familyBackend{b}); h.Nodes != base.Nodes {
		t.Error("handler added without --nodeport-addresses primary")
	}
	h := withPrimaryNodeIPs(base, &agentConfig{NodePortPrimary: true}, p, []familyBackend{b})
	fan, ok := h.Nodes.(proxy.NodeFanout)
	if !ok || len(fan) != 2 {
		t.Fatalf("Nodes = %T, want a fanout of the proxier's handler and the primary IPs one", h.Nodes)
	}
}
