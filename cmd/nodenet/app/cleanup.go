package app

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/netpol/firewall"
)

func newCleanupCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cleanup",
		Short: "Remove every iptables and ip6tables chain and rule, nftables table and ipset nodenet created, then exit",
		Long: `Remove every iptables (IPv4) and ip6tables (IPv6) chain and rule nodenet
created, its nftables tables (ip and ip6 "nodenet", --proxy-mode nftables),
the NetworkPolicy firewall's ipsets, and nothing else. A family whose
iptables does not work on this node (no IPv6) is skipped. Run it after stopping
the agent, e.g. before going back to kube-proxy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return errors.Join(cleanupAll(cmd.OutOrStdout(), iptables.Usable, iptables.Cleanup, firewall.Cleanup),
				cleanupNFTables(cmd.OutOrStdout()))
		},
	}
}

// cleanupAll cleans the proxy's rules of every usable family and the
// NetworkPolicy firewall; one failing does not stop the other.
func cleanupAll(w io.Writer, usable, cleanup func(v1.IPFamily) error, firewallCleanup func() error) error {
	proxyErr := cleanupFamilies(w, usable, cleanup)
	if err := firewallCleanup(); err != nil {
		return errors.Join(proxyErr, fmt.Errorf("cleaning up the NetworkPolicy firewall: %w", err))
	}
	fmt.Fprintln(w, "Removed nodenet's NetworkPolicy firewall chains and ipsets.")
	return proxyErr
}

// cleanupFamilies cleans every usable family; one family's failure does
// not stop the other's, and all failures are returned.
func cleanupFamilies(w io.Writer, usable, cleanup func(v1.IPFamily) error) error {
	var errs []error
	for _, fam := range iptables.Families {
		if err := usable(fam); err != nil {
			fmt.Fprintf(w, "Skipped %s: its iptables is not usable here (%v).\n", fam, err)
			continue
		}
		if err := cleanup(fam); err != nil {
			errs = append(errs, fmt.Errorf("cleaning up %s iptables rules: %w", fam, err))
			continue
		}
		fmt.Fprintf(w, "Removed nodenet's %s iptables chains and rules.\n", fam)
	}
	return errors.Join(errs...)
}
