package app

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/nodenet/nodenet/kubeproxyclean"
	"github.com/nodenet/nodenet/netpol/firewall"
	"github.com/nodenet/nodenet/proxymode"
)

func newCleanupCommand() *cobra.Command {
	var kubeProxy bool
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Remove every rule, chain and ipset nodenet created (every proxy mode, and the firewall), then exit",
		Long: `Remove what every proxy mode (` + modeNames() + `) programmed for each
IP family (IPv4, IPv6), the NetworkPolicy firewall's chains and ipsets, and
nothing else. A mode or family that does not work on this node (no IPv6) is
skipped. Run it after stopping the agent, e.g. before going back to
kube-proxy or switching --proxy-mode.

With --kube-proxy it removes instead what upstream kube-proxy left once
stopped (migrating from it): its KUBE-* chains and the rules jumping to
them (both families, iptables-legacy and iptables-nft), its nftables tables
ip/ip6 kube-proxy, its IPVS mode's virtual servers (those on kube-ipvs0's
addresses, and on node addresses at a port of its KUBE-NODE-PORT-* sets),
the kube-ipvs0 link and its KUBE-* ipsets, and nothing else; kubelet's
KUBE-FIREWALL, KUBE-IPTABLES-HINT and KUBE-KUBELET-CANARY and other
programs' virtual servers stay.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kubeProxy {
				return kubeproxyclean.Cleanup(cmd.OutOrStdout())
			}
			return cleanupAll(cmd.OutOrStdout(), proxyModes, firewall.Cleanup)
		},
	}
	cmd.Flags().BoolVar(&kubeProxy, "kube-proxy", false, "Remove upstream kube-proxy's leftovers (iptables chains, nftables tables, IPVS virtual servers, kube-ipvs0, ipsets) instead of nodenet's")
	return cmd
}

// cleanupAll cleans every mode's rules of every usable family and the
// NetworkPolicy firewall; one failing does not stop the others. Every
// mode, not just the default: the agent may have run another one.
func cleanupAll(w io.Writer, modes []proxymode.Mode, firewallCleanup func() error) error {
	var errs []error
	for _, m := range modes {
		errs = append(errs, cleanupFamilies(w, m))
	}
	if err := firewallCleanup(); err != nil {
		return errors.Join(append(errs, fmt.Errorf("cleaning up the NetworkPolicy firewall: %w", err))...)
	}
	fmt.Fprintln(w, "Removed nodenet's NetworkPolicy firewall chains and ipsets.")
	return errors.Join(errs...)
}

// cleanupFamilies cleans every usable family of m; one family's failure
// does not stop the other's, and all failures are returned.
func cleanupFamilies(w io.Writer, m proxymode.Mode) error {
	var errs []error
	for _, fam := range proxymode.Families {
		if err := m.Usable(fam); err != nil {
			fmt.Fprintf(w, "Skipped %s %s: not usable here (%v).\n", fam, m.Name(), err)
			continue
		}
		if err := m.Cleanup(fam); err != nil {
			errs = append(errs, fmt.Errorf("cleaning up %s %s rules: %w", fam, m.Name(), err))
			continue
		}
		fmt.Fprintf(w, "Removed nodenet's %s %s rules.\n", fam, m.Name())
	}
	return errors.Join(errs...)
}
