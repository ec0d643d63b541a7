// Package app builds nodenet's command line: one cobra command per
// subcommand, each in its own file, with the logic kept out of main.
package app

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// rootLong is the root help: what the binary is, how it is the CNI
// plugin, and what its exit statuses mean.
const rootLong = `nodenet runs on every node of a Kubernetes cluster. One binary is three things:

  Service proxy       "nodenet agent" replaces kube-proxy (iptables rules named NODENET-*).
  NetworkPolicy       the agent also enforces networking.k8s.io/v1 NetworkPolicy (--netpol).
  CNI plugin          when a container runtime executes it with CNI_COMMAND set (ADD, DEL,
                      CHECK, STATUS, GC, VERSION), it is a bridge plugin with host-local IPAM
                      and ignores its arguments. "nodenet agent --cni-conf-dir /etc/cni/net.d
                      --cni-bin-dir /opt/cni/bin" copies itself to /opt/cni/bin/nodenet and
                      writes this node's conflist, from the Node's pod CIDRs, to
                      /etc/cni/net.d/10-nodenet.conflist.

To see what the node does with a packet: "nodenet dump" (Services as programmed),
"nodenet dump policies" (each pod's NetworkPolicy rules), "nodenet trace" (one
connection, step by step).

Exit status, for every command:
  0  success; for trace: the connection is delivered
  1  trace: the connection is refused (REJECT) or dropped; other commands: they failed
  2  bad usage: unknown command or flag, bad value, a question trace cannot answer`

// NewRootCommand returns the `nodenet` command with every subcommand.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "nodenet",
		Short: "Per-node Kubernetes networking: kube-proxy replacement, NetworkPolicy firewall and CNI plugin",
		Long:  rootLong,
		Args:  noArgs,
		// Usage is printed by --help only: after an error it would push
		// the error line off the screen.
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmd.Help(); err != nil {
				return fmt.Errorf("printing help: %w", err)
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.SetUsageTemplate(strings.ReplaceAll(root.UsageTemplate(), ".FlagUsages", " | flagUsages"))
	root.AddCommand(
		newAgentCommand(),
		newDumpCommand(),
		newTraceCommand(),
		newCleanupCommand(),
		newVersionCommand(),
	)
	return root
}

// noArgs is cobra.NoArgs as a usage error (exit status 2).
func noArgs(cmd *cobra.Command, args []string) error {
	return usageError(cobra.NoArgs(cmd, args))
}

func init() {
	cobra.AddTemplateFunc("flagUsages", flagUsages)
}

// flagUsages is pflag's flag list without the "[=true|false]" pflag 1.1
// appends to every boolean flag (-h, --help[=true|false]): a boolean
// flag given alone is true, as everyone expects, and the suffix only
// hides the flag's name.
func flagUsages(fs *pflag.FlagSet) string {
	const noise = "[=true|false]"
	return strings.ReplaceAll(fs.FlagUsages(), noise, strings.Repeat(" ", len(noise)))
}
