package app

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/netpol/netpolview"
)

func newDumpPoliciesCommand() *cobra.Command {
	opts := newNetpolSourceOptions()
	cmd := &cobra.Command{
		Use:   "policies",
		Short: "Print the effective NetworkPolicy rules of each pod on this node",
		Long: `Print, for each pod on the node, whether it is isolated for ingress and egress,
by which policies, and the rules that allow traffic (peer, ports, policy). Read
from the running agent's /netpol/policies, or offline computed from a folder of
manifests (--manifests, with --hostname-override naming the node).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.validate(cmd.Flags()); err != nil {
				return err
			}
			view, err := opts.policies(cmd.Context())
			if err != nil {
				return err
			}
			return printPolicies(cmd.OutOrStdout(), view, opts.Output)
		},
	}
	opts.addFlags(cmd)
	return cmd
}

func (o *netpolSourceOptions) policies(ctx context.Context) (netpolview.PoliciesView, error) {
	if o.offline() {
		m, err := o.offlineModel(ctx)
		if err != nil {
			return netpolview.PoliciesView{}, err
		}
		return netpolview.NewPoliciesView(m), nil
	}
	var view netpolview.PoliciesView
	err := fetchJSON(ctx, o.Server, serve.NetpolPoliciesPath, &view)
	return view, err
}

func printPolicies(w io.Writer, view netpolview.PoliciesView, output outputFormat) error {
	return printView(w, view, output, formatPolicies)
}
