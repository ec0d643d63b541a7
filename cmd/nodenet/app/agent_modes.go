package app

import (
	"errors"
	"fmt"
	"io"

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

// cleanupNFTables removes the nftables mode's table of every family where
// nft works (nodenet cleanup, whatever mode the agent ran).
func cleanupNFTables(w io.Writer) error {
	var errs []error
	for _, fam := range nftables.Families {
		if nftables.Usable(fam) != nil {
			continue
		}
		if err := nftables.Cleanup(fam); err != nil {
			errs = append(errs, fmt.Errorf("cleaning up the %s nftables table: %w", fam, err))
			continue
		}
		fmt.Fprintf(w, "Removed nodenet's %s nftables table.\n", fam)
	}
	return errors.Join(errs...)
}

// dumpNFTables prints the nftables mode's tables that exist (`nft -f`
// input); nothing when the agent runs in iptables mode.
func dumpNFTables(w io.Writer, families []v1.IPFamily) error {
	for _, fam := range families {
		if len(families) > 1 {
			fmt.Fprintf(w, "# %s\n", fam)
		}
		if nftables.Usable(fam) != nil {
			continue
		}
		rules, err := nftables.SaveRules(fam)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, rules); err != nil {
			return err
		}
	}
	return nil
}
