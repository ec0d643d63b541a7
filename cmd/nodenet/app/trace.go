package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nodenet/nodenet/packettrace"
)

type traceOptions struct {
	netpolSourceOptions
	offlineProxy offlineProxyOptions
	query        packettrace.Query
}

const traceLong = `Follow one connection's first packet through this node, from the state the
running agent programmed (its /dump and NetworkPolicy model, read from its
metrics server), or offline from a folder of manifests (--manifests): which
Service frontend it matches, which endpoints it may reach and with what
probability (and affinity), whether it is masqueraded and why, the
NetworkPolicy verdict for each endpoint (ingress at a local endpoint, egress
at a local client) with the policies that decided, and the outcome:
delivered to which endpoints, rejected (REJECT: no endpoints, or a policy
denies) or dropped (DROP: Local traffic policy without a local endpoint, a
client outside loadBalancerSourceRanges, a Service address without that
port).

--from is a pod (NAMESPACE/POD), a Service (NAMESPACE/SERVICE: one of its
endpoints, a local one if any) or an address (a pod's, an outside client's,
the node's own). --to is a Service (NAMESPACE/SERVICE, reached through its
ClusterIP), a pod (NAMESPACE/POD) or an address: a ClusterIP, an external or
load-balancer IP, a node address (for a NodePort) or a pod's. --port is the
port the client connects to, a number or a Service port's name, with an
optional protocol: 80, 80/UDP, http, dns/UDP (a number alone is TCP).

The answer comes from the desired table and the NetworkPolicy model the
agent programs from, not from reading the kernel's rules back; "nodenet dump
rules" shows those. Pods are known by name when they run on this node
(offline: every pod in the folder); give other pods' addresses.

Exit status: 0 delivered (or forwarded untouched: nodenet has no say), 1
rejected, dropped or only partly delivered, 2 a question it cannot answer
(bad flags, an unknown pod or Service, no agent answering).`

func newTraceCommand() *cobra.Command {
	opts := traceOptions{netpolSourceOptions: newNetpolSourceOptions()}
	cmd := &cobra.Command{
		Use:   "trace --from NS/POD|IP --to NS/SERVICE|NS/POD|IP --port N|NAME[/PROTO]",
		Short: "Follow one connection through this node: frontend, endpoints, masquerade, NetworkPolicy, outcome",
		Long:  traceLong,
		Example: `  nodenet trace --from default/client --to default/web --port http
  nodenet trace --from 192.0.2.10 --to 10.0.0.5 --port 30080 -o yaml
  nodenet trace --from 10.244.1.7 --to kube-system/kube-dns --port dns/UDP -o json
  nodenet trace --manifests ./cluster --hostname-override node-a --from x/a --to x/web --port 80`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrace(cmd.Context(), cmd.OutOrStdout(), cmd.Flags(), &opts)
		},
	}
	opts.addFlags(cmd)
	opts.offlineProxy.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.query.From, "from", "", "Client: NAMESPACE/POD, NAMESPACE/SERVICE (one of its endpoints) or an IP address.")
	cmd.Flags().StringVar(&opts.query.To, "to", "", "Destination: NAMESPACE/SERVICE, NAMESPACE/POD or an IP address (ClusterIP, external or load-balancer IP, node address, pod).")
	cmd.Flags().StringVar(&opts.query.Port, "port", "", "Port the client connects to: N, NAME, N/PROTOCOL or NAME/PROTOCOL (80, http, 53/UDP; a number alone is TCP).")
	return cmd
}

// runTrace returns nil when the connection is delivered, a silent
// ExitError 1 when it is refused or dropped, and an ExitError 2 for
// anything else.
func runTrace(ctx context.Context, w io.Writer, fs *pflag.FlagSet, opts *traceOptions) error {
	if err := opts.validate(fs); err != nil {
		return usageError(err)
	}
	if err := opts.offlineProxy.validate(fs, opts.offline()); err != nil {
		return usageError(err)
	}
	node, err := opts.node(ctx)
	if err != nil {
		return usageError(err)
	}
	answer, err := packettrace.Trace(node, opts.query)
	if err != nil {
		return usageError(traceQuestionError(err))
	}
	if err := printView(w, answer, opts.Output, formatTrace); err != nil {
		return usageError(err)
	}
	if !answer.Outcome.OK() {
		return &ExitError{Code: 1}
	}
	return nil
}

// traceQuestionError names the flags in a question's error.
func traceQuestionError(err error) error {
	if errors.Is(err, packettrace.ErrQuestion) {
		return fmt.Errorf("%w (--from NAMESPACE/POD or IP; --to NAMESPACE/SERVICE, NAMESPACE/POD or IP; --port N|NAME[/PROTOCOL])", err)
	}
	return err
}

func (o *traceOptions) node(ctx context.Context) (*packettrace.Node, error) {
	if o.offline() {
		return o.offlineNode(ctx)
	}
	return liveNode(ctx, o.Server)
}
