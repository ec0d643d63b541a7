package app

import (
	"errors"
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/iptables/iptablestest"
)

// fakeBackends builds backends on fake kernels and records their options.
func fakeBackends(got *[]iptables.Options) backendMaker {
	return func(o iptables.Options) (*iptables.Backend, error) {
		*got = append(*got, o)
		return iptables.NewWithKernel(o, iptablestest.NewFakeKernel(o.Family))
	}
}

func TestOneBackendPerUsableFamily(t *testing.T) {
	cfg := &agentConfig{
		ClusterCIDRs:      []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd00:10:244::/48")},
		NodePortAddresses: []netip.Prefix{netip.MustParsePrefix("fd00::/8")},
	}
	noV6 := func(f v1.IPFamily) error {
		if f == v1.IPv6Protocol {
			return errors.New("ip6tables: not found")
		}
		return nil
	}
	for _, c := range []struct {
		name   string
		usable func(v1.IPFamily) error
		want   []v1.IPFamily
	}{
		{"dual-stack", func(v1.IPFamily) error { return nil }, []v1.IPFamily{v1.IPv4Protocol, v1.IPv6Protocol}},
		{"no IPv6", noV6, []v1.IPFamily{v1.IPv4Protocol}},
		{"IPv6 only", func(f v1.IPFamily) error {
			if f == v1.IPv4Protocol {
				return errors.New("no")
			}
			return nil
		}, []v1.IPFamily{v1.IPv6Protocol}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var opts []iptables.Options
			fb, err := newFamilyBackends(cfg, c.usable, fakeBackends(&opts))
			if err != nil || len(fb.backends) != len(c.want) || len(opts) != len(c.want) {
				t.Fatalf("backends %v, err %v; want %v", opts, err, c.want)
			}
			for i, o := range opts {
				if o.Family != c.want[i] || len(o.ClusterCIDRs) != 1 || o.ClusterCIDRs[0].Addr().Is4() != (o.Family == v1.IPv4Protocol) {
					t.Errorf("backend %d options %+v, want family %s with its own cluster CIDR", i, o, c.want[i])
				}
				if (o.Family == v1.IPv6Protocol) != (len(o.NodePortAddresses) == 1) {
					t.Errorf("backend %s got node port addresses %v", o.Family, o.NodePortAddresses)
				}
			}
		})
	}
	var opts []iptables.Options
	if _, err := newFamilyBackends(cfg, func(v1.IPFamily) error { return errors.New("no") }, fakeBackends(&opts)); err == nil {
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
