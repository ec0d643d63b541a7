package app

import (
	"errors"
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/nodeport"
)

func TestOneBackendPerUsableFamily(t *testing.T) {
	base := agentConfig{
		ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd00:10:244::/48")},
		NodePorts:    nodeport.Addresses{CIDRs: []netip.Prefix{netip.MustParsePrefix("fd00::/8")}},
	}
	for _, c := range []struct {
		name     string
		unusable map[v1.IPFamily]error
		want     []v1.IPFamily
	}{
		{"dual-stack", nil, []v1.IPFamily{v1.IPv4Protocol, v1.IPv6Protocol}},
		{"no IPv6", noIPv6(), []v1.IPFamily{v1.IPv4Protocol}},
		{"IPv6 only", map[v1.IPFamily]error{v1.IPv4Protocol: errors.New("no")}, []v1.IPFamily{v1.IPv6Protocol}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := &fakeMode{name: "fake", unusable: c.unusable}
			cfg := base
			cfg.Mode = m
			if _, err := newFamilyBackends(&cfg); err != nil || len(m.built) != len(c.want) {
				t.Fatalf("backends %v, err %v; want %v", m.built, err, c.want)
			}
			for i, o := range m.built {
				if o.Family != c.want[i] || len(o.ClusterCIDRs) != 1 || o.ClusterCIDRs[0].Addr().Is4() != (o.Family == v1.IPv4Protocol) {
					t.Errorf("backend %d options %+v, want family %s with its own cluster CIDR", i, o, c.want[i])
				}
				if (o.Family == v1.IPv6Protocol) != (len(o.NodePorts.CIDRs) == 1) {
					t.Errorf("backend %s got node port addresses %v", o.Family, o.NodePorts.CIDRs)
				}
			}
		})
	}
	cfg := base
	cfg.Mode = &fakeMode{name: "fake", unusable: map[v1.IPFamily]error{v1.IPv4Protocol: errors.New("no"), v1.IPv6Protocol: errors.New("no")}}
	if _, err := newFamilyBackends(&cfg); err == nil {
		t.Error("no usable family must be an error")
	}
}

func TestClusterCIDROnePerFamily(t *testing.T) {
	if err := onePerFamily("--cluster-cidr", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}); err != nil {
		t.Error(err)
	}
	if err := onePerFamily("--cluster-cidr", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("10.1.0.0/16")}); err == nil {
		t.Error("two IPv4 cluster CIDRs must be refused")
	}
}
