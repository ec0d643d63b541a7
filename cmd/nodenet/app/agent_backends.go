package app

import (
	"errors"
	"fmt"
	"net/netip"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/proxy"
)

// familyBackends are the backends of the families this node runs, and
// the fan-out the proxier drives.
type familyBackends struct {
	backends []familyBackend
	fanout   *proxy.FamilyBackends
}

// familyBackend is one family's backend of any proxy mode.
type familyBackend interface {
	proxy.Backend
	// SetPrimaryNodeIPs feeds --nodeport-addresses primary.
	SetPrimaryNodeIPs([]netip.Addr)
}

// backendMaker builds one family's backend; iptables.New outside tests.
type backendMaker func(iptables.Options) (*iptables.Backend, error)

// newFamilyBackends builds one backend per IP family whose iptables works
// here (usable is iptables.Usable outside tests), as kube-proxy does: a
// node without IPv6 runs IPv4 only, and an IPv6-only node IPv6 only. Each
// backend gets the --cluster-cidr and --nodeport-addresses of its family.
func newFamilyBackends(cfg *agentConfig, usable func(v1.IPFamily) error, newBackend backendMaker) (*familyBackends, error) {
	return newModeBackends(cfg, "iptables", usable, func(fam v1.IPFamily) (familyBackend, error) {
		return newBackend(backendOptions(cfg, fam))
	})
}

// newModeBackends is newFamilyBackends for any mode's backend maker.
func newModeBackends(cfg *agentConfig, mode string, usable func(v1.IPFamily) error, newBackend func(v1.IPFamily) (familyBackend, error)) (*familyBackends, error) {
	out := &familyBackends{}
	var fbs []*proxy.FamilyBackend
	var reasons []error
	for _, fam := range iptables.Families {
		if err := usable(fam); err != nil {
			klog.InfoS("IP family not usable on this node; its Services are not programmed", "family", fam, "reason", err.Error())
			reasons = append(reasons, fmt.Errorf("%s: %w", fam, err))
			continue
		}
		b, err := newBackend(fam)
		if err != nil {
			return nil, fmt.Errorf("creating the %s %s backend: %w", fam, mode, err)
		}
		klog.InfoS("Programming IP family", "family", fam,
			"clusterCIDRs", familyPrefixes(cfg.ClusterCIDRs, fam), "nodePortAddresses", familyPrefixes(cfg.NodePortAddresses, fam))
		out.backends = append(out.backends, b)
		fbs = append(fbs, &proxy.FamilyBackend{Family: fam, Backend: b})
	}
	if len(fbs) == 0 {
		return nil, fmt.Errorf("no usable IP family (%s fails for both): %w", mode, errors.Join(reasons...))
	}
	out.fanout = proxy.NewFamilyBackends(fbs...)
	return out, nil
}

func backendOptions(cfg *agentConfig, fam v1.IPFamily) iptables.Options {
	return iptables.Options{
		Family:            fam,
		ClusterCIDRs:      familyPrefixes(cfg.ClusterCIDRs, fam),
		MasqueradeAll:     cfg.MasqueradeAll,
		MasqueradeBit:     cfg.MasqueradeBit,
		NodePortAddresses: familyPrefixes(cfg.NodePortAddresses, fam),
		NodePortPrimary:   cfg.NodePortPrimary,
	}
}
