package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/netpol/netpolview"
)

type traceOptions struct {
	netpolSourceOptions
	query netpolview.TraceQuery
}

func newTraceCommand() *cobra.Command {
	opts := traceOptions{netpolSourceOptions: newNetpolSourceOptions()}
	cmd := &cobra.Command{
		Use:   "trace --from NS/POD|IP --to NS/POD|IP --port N/PROTO",
		Short: "Tell whether this node's NetworkPolicies let a connection through, and why",
		Long: `Ask the running agent (its metrics server's /netpol/trace), or offline a
folder of manifests (--manifests), whether a connection from --from to --to on
--port passes this node's NetworkPolicies. Prints "allow" or "deny", then one
line per reason naming the policies that decided.

Only this node's pods are filtered here: for a remote pod, only the local end's
policies are checked.

Exit status: 0 allow, 1 deny, 2 anything else (bad flags, an unknown pod or
one without IPs, no agent answering).`,
		Example: `  nodenet trace --from default/client --to default/web --port 80/TCP
  nodenet trace --from 10.244.1.7 --to kube-system/coredns-0 --port 53/UDP -o json
  nodenet trace --manifests ./cluster --hostname-override node-a --from x/a --to x/b --port 8080`,
		Args: func(cmd *cobra.Command, args []string) error { return usageError(cobra.NoArgs(cmd, args)) },
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrace(cmd.Context(), cmd.OutOrStdout(), cmd.Flags(), &opts)
		},
	}
	opts.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.query.From, "from", "", "Source: NAMESPACE/POD or an IP.")
	cmd.Flags().StringVar(&opts.query.To, "to", "", "Destination: NAMESPACE/POD or an IP.")
	cmd.Flags().StringVar(&opts.query.Port, "port", "", "Destination port and protocol, e.g. 80/TCP, 53/UDP (a bare number is TCP).")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	return cmd
}

// runTrace returns nil for an allow, a silent ExitError 1 for a deny and
// an ExitError 2 for everything else.
func runTrace(ctx context.Context, w io.Writer, fs *pflag.FlagSet, opts *traceOptions) error {
	if err := opts.validate(fs); err != nil {
		return usageError(err)
	}
	if _, _, _, _, err := opts.query.Parse(); err != nil {
		return usageError(traceFlagError(err))
	}
	view, err := opts.trace(ctx)
	if err != nil {
		return usageError(err)
	}
	if err := printTrace(w, view, opts.Output); err != nil {
		return usageError(err)
	}
	if !view.Allowed {
		return &ExitError{Code: 1}
	}
	return nil
}

// traceFlagError names the flags in a query error (the agent's names
// them as query parameters).
func traceFlagError(err error) error {
	return fmt.Errorf("%w (flags --from, --to: NAMESPACE/POD or IP; --port: N/PROTO)", err)
}

func (o *traceOptions) trace(ctx context.Context) (netpolview.TraceView, error) {
	if o.offline() {
		m, err := o.offlineModel(ctx)
		if err != nil {
			return netpolview.TraceView{}, err
		}
		return netpolview.Trace(m, o.query)
	}
	var view netpolview.TraceView
	q := url.Values{"from": {o.query.From}, "to": {o.query.To}, "port": {o.query.Port}}
	err := fetchJSON(ctx, o.Server, serve.NetpolTracePath+"?"+q.Encode(), &view)
	var status *agentStatusError
	if errors.As(err, &status) {
		// The agent's message says it all (unknown pod, not synced yet).
		return view, fmt.Errorf("agent %s: %s", o.Server, status.body)
	}
	return view, err
}

func printTrace(w io.Writer, view netpolview.TraceView, output string) error {
	return printView(w, view, output, formatTrace)
}
