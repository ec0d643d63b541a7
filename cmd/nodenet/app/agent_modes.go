package app

import (
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/nftables"
)

// The proxy modes nodenet implements.
const (
	modeIPTables = "iptables"
	modeNFTables = "nftables"
)

// proxyMode is the mode the agent runs: iptables unless asked otherwise
// (kube-proxy treats "" as the platform default, iptables on Linux).
func (c *agentConfig) proxyMode() string {
	if c.ProxyMode == "" {
		return modeIPTables
	}
	return c.ProxyMode
}

// newProxyModeBackends builds the backends of the agent's proxy mode,
// after removing what the other mode left on this node: switching modes
// must not leave the old mode's rules catching Service traffic (kube-proxy
// cleans up the other modes at start too).
func newProxyModeBackends(cfg *agentConfig) (*familyBackends, error) {
	if cfg.proxyMode() == modeNFTables {
		cleanupOtherMode(modeIPTables, iptables.Usable, iptables.Cleanup)
		return newModeBackends(cfg, modeNFTables, nftables.Usable, func(fam v1.IPFamily) (familyBackend, error) {
			return nftables.New(nftablesOptions(cfg, fam))
		})
	}
	cleanupOtherMode(modeNFTables, nftables.Usable, nftables.Cleanup)
	return newFamilyBackends(cfg, iptables.Usable, iptables.New)
}

func nftablesOptions(cfg *agentConfig, fam v1.IPFamily) nftables.Options {
	return nftables.Options{
		Family:            fam,
		ClusterCIDRs:      familyPrefixes(cfg.ClusterCIDRs, fam),
		MasqueradeAll:     cfg.MasqueradeAll,
		MasqueradeBit:     cfg.MasqueradeBit,
		NodePortAddresses: familyPrefixes(cfg.NodePortAddresses, fam),
		NodePortPrimary:   cfg.NodePortPrimary,
		ServiceCIDRs:      familyPrefixes(cfg.ServiceCIDRs, fam),
	}
}

// cleanupOtherMode removes mode's rules from every family where that mode
// works; failures are logged, not fatal: the agent's own mode still works.
func cleanupOtherMode(mode string, usable, cleanup func(v1.IPFamily) error) {
	for _, fam := range nftables.Families {
		if usable(fam) != nil {
			continue
		}
		if err := cleanup(fam); err != nil {
			klog.ErrorS(err, "Removing the other proxy mode's rules failed", "mode", mode, "family", fam)
		}
	}
}
