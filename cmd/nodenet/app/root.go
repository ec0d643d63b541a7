// Package app builds nodenet's command line: one cobra command per
// subcommand, each in its own file, with the logic kept out of main.
package app

import (
	"fmt"

	"github.com/spf13/cobra"
)

// NewRootCommand returns the `nodenet` command with every subcommand.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "nodenet",
		Short: "Per-node Kubernetes networking: kube-proxy replacement and CNI plugin",
		Long: `nodenet runs on every node. "nodenet agent" replaces kube-proxy; the same
binary is the CNI plugin when a container runtime executes it with CNI_COMMAND set.`,
		Args: cobra.NoArgs,
		RunE: runRoot,
	}
	addVersionFlag(root.Flags())
	root.AddCommand(
		newAgentCommand(),
		newDumpCommand(),
		newTraceCommand(),
		newCleanupCommand(),
		newVersionCommand(),
	)
	return root
}

func runRoot(cmd *cobra.Command, _ []string) error {
	switch cmd.Flags().Lookup(versionFlagName).Value.String() {
	case versionTrue:
		printVersion(cmd.OutOrStdout())
		return nil
	case versionRaw:
		printRawVersion(cmd.OutOrStdout())
		return nil
	}
	if err := cmd.Help(); err != nil {
		return fmt.Errorf("printing help: %w", err)
	}
	return nil
}
