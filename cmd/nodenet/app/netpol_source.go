package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/controller"
	"github.com/nodenet/nodenet/source"
)

// netpolSourceOptions say where `nodenet trace` and `nodenet dump
// policies` get the NetworkPolicy model: from a running agent's metrics
// server (--server), or offline, computed from a manifests folder
// (--manifests) for the node --hostname-override, without any agent.
type netpolSourceOptions struct {
	Server           string
	Manifests        string
	HostnameOverride string
	Output           outputFormat
}

func newNetpolSourceOptions() netpolSourceOptions {
	return netpolSourceOptions{Server: "127.0.0.1:10249"}
}

func (o *netpolSourceOptions) addFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&o.Server, "server", o.Server, "Address (host:port or URL) of the agent's metrics server (--metrics-bind-address).")
	fs.StringVar(&o.Manifests, "manifests", o.Manifests, "Offline: compute from the YAML/JSON manifests in this directory (Services, EndpointSlices, Pods with status.podIPs, Namespaces, NetworkPolicies, Nodes) instead of asking an agent.")
	fs.StringVar(&o.HostnameOverride, "hostname-override", o.HostnameOverride, "With --manifests: the node whose pods to show (default: this host's name, lower-cased).")
	addOutputFlag(cmd, &o.Output)
}

// validate checks the flags; fs tells which were given.
func (o *netpolSourceOptions) validate(fs *pflag.FlagSet) error {
	if o.Manifests == "" {
		if fs.Changed("hostname-override") {
			return errors.New("--hostname-override goes with --manifests (a running agent knows its node)")
		}
		return nil
	}
	if fs.Changed("server") {
		return errors.New("--manifests computes the model offline: it cannot be combined with --server")
	}
	if info, err := os.Stat(o.Manifests); err != nil {
		return fmt.Errorf("--manifests: %w", err)
	} else if !info.IsDir() {
		return fmt.Errorf("--manifests: %q is not a directory", o.Manifests)
	}
	return nil
}

func (o *netpolSourceOptions) offline() bool { return o.Manifests != "" }

// offlineModel computes the model of node o.HostnameOverride from the
// manifests folder, as an agent running with --manifests would.
func (o *netpolSourceOptions) offlineModel(ctx context.Context) (*netpol.Model, error) {
	node, err := nodeName(o.HostnameOverride, os.Hostname)
	if err != nil {
		return nil, err
	}
	return offlineModel(ctx, o.Manifests, node)
}

// offlineModel loads dir once through the agent's own manifests source
// (same decoding, defaults and duplicate rules), then computes. Invalid
// policies are in the model's Errors, which both commands show.
func offlineModel(ctx context.Context, dir, node string) (*netpol.Model, error) {
	// The source keeps watching the folder until ctx ends: one load is
	// all this needs.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	store := controller.NewStore(nil)
	if err := source.RunManifests(ctx, dir, node, store.Handlers()); err != nil {
		return nil, fmt.Errorf("reading manifests from %s: %w", dir, err)
	}
	in, _ := store.Snapshot(node)
	m, _ := netpol.Compute(in)
	return m, nil
}
