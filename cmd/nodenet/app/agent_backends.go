package app

import (
	"errors"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/proxymode"
)

// newFamilyBackends builds one backend of cfg.Mode per IP family the mode
// can program here, as kube-proxy does: a node without IPv6 runs IPv4
// only, and an IPv6-only node IPv6 only. Each backend gets the
// --cluster-cidr and --nodeport-addresses of its family.
func newFamilyBackends(cfg *agentConfig) (*proxy.FamilyBackends, error) {
	var fbs []*proxy.FamilyBackend
	var reasons []error
	for _, fam := range proxymode.Families {
		if err := cfg.Mode.Usable(fam); err != nil {
			klog.InfoS("IP family not usable on this node; its Services are not programmed", "family", fam, "mode", cfg.Mode.Name(), "reason", err.Error())
			reasons = append(reasons, fmt.Errorf("%s: %w", fam, err))
			continue
		}
		opts := backendOptions(cfg, fam)
		b, err := cfg.Mode.New(opts)
		if err != nil {
			return nil, fmt.Errorf("creating the %s %s backend: %w", fam, cfg.Mode.Name(), err)
		}
		klog.InfoS("Programming IP family", "family", fam, "mode", cfg.Mode.Name(),
			"clusterCIDRs", opts.ClusterCIDRs, "nodePortAddresses", opts.NodePorts.CIDRs, "nodePortsOnPrimaryIPs", opts.NodePorts.Primary)
		fbs = append(fbs, &proxy.FamilyBackend{Family: fam, Backend: b})
	}
	if len(fbs) == 0 {
		return nil, fmt.Errorf("no usable IP family for proxy mode %s: %w", cfg.Mode.Name(), errors.Join(reasons...))
	}
	return proxy.NewFamilyBackends(fbs...), nil
}

// backendOptions are the options of family's backend: the flags' CIDRs
// of that family only.
func backendOptions(cfg *agentConfig, fam v1.IPFamily) proxymode.Options {
	return proxymode.Options{
		Family:        fam,
		ClusterCIDRs:  familyPrefixes(cfg.ClusterCIDRs, fam),
		MasqueradeAll: cfg.MasqueradeAll,
		MasqueradeBit: cfg.MasqueradeBit,
		NodePorts:     cfg.NodePorts.OfFamily(fam == v1.IPv4Protocol),
		ServiceCIDRs:  familyPrefixes(cfg.ServiceCIDRs, fam),
	}
}
