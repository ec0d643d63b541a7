package app

import (
	"fmt"

	"github.com/spf13/cobra"
	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables"
)

func newCleanupCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cleanup",
		Short: "Remove every iptables chain and rule nodenet created, then exit",
		Long: `Remove every iptables chain and rule nodenet created (IPv4), and nothing
else. Run it after stopping the agent, e.g. before going back to kube-proxy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := iptables.Cleanup(v1.IPv4Protocol); err != nil {
				return fmt.Errorf("cleaning up IPv4 iptables rules: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Removed nodenet's IPv4 iptables chains and rules.")
			return nil
		},
	}
}
