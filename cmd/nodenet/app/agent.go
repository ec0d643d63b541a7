package app

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/component-base/version"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/cni/nodeinstall"
	"github.com/nodenet/nodenet/nodeport"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/proxy/conntrack"
	"github.com/nodenet/nodenet/source"
)

func newAgentCommand() *cobra.Command {
	opts := newAgentOptions()
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the Service proxy (kube-proxy replacement) and NetworkPolicy firewall until SIGINT or SIGTERM",
		Long: `Run the Service proxy: watch Services and EndpointSlices (from the API server,
or from a folder with --manifests) and program the kernel (--proxy-mode) so this
node serves them.
Flags follow kube-proxy's names and meanings.

With --netpol (the default), also enforce NetworkPolicies on this node's pods,
watching Pods, Namespaces and NetworkPolicies.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// --config before logging: the file may set the logging.
			ignored, err := opts.applyConfigFile(cmd.Flags())
			if err != nil {
				return err
			}
			// Logging first, so everything after runs with the final setup.
			if err := logsapi.ValidateAndApply(opts.Logging, nil); err != nil {
				return fmt.Errorf("logging flags: %w", err)
			}
			logIgnoredFields(opts.ConfigFile, ignored)
			cfg, err := opts.complete(os.Hostname)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// After the first signal, restore the default handling so a
			// second Ctrl-C kills an agent stuck in shutdown.
			context.AfterFunc(ctx, stop)
			return runAgent(ctx, cfg)
		},
	}
	opts.addFlags(cmd.Flags())
	return cmd
}

// runAgent wires backend, proxier, source and servers, and runs until ctx
// is done. Servers bind before the source starts, so a taken port fails
// startup before anything is watched or programmed.
func runAgent(ctx context.Context, cfg *agentConfig) error {
	klog.InfoS("Starting nodenet agent", "version", version.Get().GitVersion,
		"node", cfg.NodeName, "proxyMode", cfg.modeName(), "source", cfg.sourceName(), "netpol", cfg.Netpol.Enabled)
	cleanupOtherModes(cfg.Mode, proxyModes)
	backends, err := newFamilyBackends(cfg)
	if err != nil {
		return err
	}
	client, err := agentClient(cfg)
	if err != nil {
		return err
	}
	var p *proxy.Proxier
	healthChecks := nodeport.NewHealthServers(func() bool { return p.Health().Healthy })
	defer healthChecks.Close()
	p = proxy.NewProxier(proxy.Config{
		NodeName:       cfg.NodeName,
		MinSyncPeriod:  cfg.MinSyncPeriod,
		AdaptivePacing: cfg.AdaptivePacing,
		SyncPeriod:     cfg.SyncPeriod,
		Conntrack:      conntrack.Netlink{},
		HealthChecks:   healthChecks,
		Reporter:       agentReporter(ctx, client, cfg.NodeName),
		// The proxy's and the firewall's watches share one subscription.
		DetectTampering: cfg.DetectTampering,
	}, backends)

	// nil with --netpol=false; its failures are logged and retried, never
	// fatal, so the proxy keeps working whatever the firewall does.
	netpolCtrl := newNetpolController(ctx, cfg, client, p.FirstSynced())

	servers, err := listenServers(cfg, p, netpolModel(netpolCtrl), firewallHealthy(netpolCtrl, firewallStartGrace(cfg), time.Now))
	if err != nil {
		return err
	}
	handlers, err := agentHandlers(cfg, p)
	if err != nil {
		closeAll(servers)
		return err
	}
	handlers = withNetpol(handlers, netpolCtrl)
	// The source starts once the servers answer: on a large cluster the
	// informers take a while to sync, and probes must get a (503) answer
	// rather than hang meanwhile.
	loops := append(runLoops(p, netpolCtrl), podRoutesLoops(cfg, client)...)
	loops = append(loops, firewallWaitingLoops(cfg, netpolCtrl)...)
	return runUntilDone(ctx, servers, func() error { return startSource(ctx, cfg, client, handlers) }, loops...)
}

// agentHandlers are the proxier's handlers, plus the CNI installer on Node
// events when --cni-conf-dir and --cni-bin-dir are set.
func agentHandlers(cfg *agentConfig, p *proxy.Proxier) (source.Handlers, error) {
	h := proxyHandlers(p)
	if cfg.CNIConfDir == "" {
		return h, nil
	}
	self, err := os.Executable()
	if err != nil {
		return h, fmt.Errorf("--cni-bin-dir: cannot find the running binary to install: %w", err)
	}
	h.Nodes = source.NodeFanout{h.Nodes, &nodeinstall.NodeInstaller{BinDir: cfg.CNIBinDir, ConfDir: cfg.CNIConfDir, Self: self,
		Opts: cniInstallOptions(cfg)}}
	return h, nil
}

// proxyHandlers are the proxier's handlers, for the source to feed.
func proxyHandlers(p *proxy.Proxier) source.Handlers {
	ph := p.Handlers()
	return source.Handlers{Services: ph.Services, EndpointSlices: ph.EndpointSlices, Nodes: ph.Nodes}
}
