package app

import (
	"context"
	"net/http"
	"sync"
	"time"

	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/nodeport"
	"github.com/nodenet/nodenet/proxy"
)

// listenServers binds the healthz and metrics servers that are enabled
// (an empty bind address disables one, as in kube-proxy). netpolModel
// serves /netpol/ on the metrics server and netpolHealthy joins /healthz;
// both nil when --netpol=false.
func listenServers(cfg *agentConfig, p *proxy.Proxier, netpolModel func() *netpol.Model, netpolHealthy func() bool) ([]*serve.Server, error) {
	var servers []*serve.Server
	if cfg.HealthzBindAddr != "" {
		s, err := serve.Listen("healthz", cfg.HealthzBindAddr, serve.NewHealthzHandler(agentHealth(p, netpolHealthy), time.Now))
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}
	if cfg.MetricsBindAddr != "" {
		s, err := serve.Listen("metrics", cfg.MetricsBindAddr, metricsHandler(p, dumpConfigOf(cfg), netpolModel))
		if err != nil {
			closeAll(servers)
			return nil, err
		}
		servers = append(servers, s)
	}
	return servers, nil
}

// agentHealth is the proxy's health, made unhealthy too by a firewall
// whose changes wait too long (a NetworkPolicy not enforced is as wrong
// as a Service not programmed).
func agentHealth(p *proxy.Proxier, netpolHealthy func() bool) func() proxy.HealthState {
	if netpolHealthy == nil {
		return p.Health
	}
	return func() proxy.HealthState {
		h := p.Health()
		h.Healthy = h.Healthy && netpolHealthy()
		return h
	}
}

// metricsHandler is kube-proxy's metrics server (mode on /proxyMode) plus
// /dump and the NetworkPolicy views under /netpol/.
func metricsHandler(p *proxy.Proxier, cfg serve.ProxyConfigView, netpolModel func() *netpol.Model) http.Handler {
	netpolHandler := serve.NewNetpolDisabledHandler()
	if netpolModel != nil {
		netpolHandler = serve.NewNetpolHandler(netpolModel)
	}
	mux := http.NewServeMux()
	mux.Handle("/", serve.NewMetricsHandler(p.Snapshot, cfg))
	mux.Handle("/netpol/", netpolHandler)
	return mux
}

// dumpConfigOf is what /dump reports of the flags that shape the rules,
// so `nodenet trace` can tell what they do with a packet.
func dumpConfigOf(cfg *agentConfig) serve.ProxyConfigView {
	v := serve.ProxyConfigView{Mode: cfg.modeName(), MasqueradeAll: cfg.MasqueradeAll}
	for _, p := range cfg.ClusterCIDRs {
		v.ClusterCIDRs = append(v.ClusterCIDRs, p.String())
	}
	if cfg.NodePorts.Primary {
		v.NodePortAddresses = []string{nodeport.PrimaryWord}
	}
	for _, p := range cfg.NodePorts.CIDRs {
		v.NodePortAddresses = append(v.NodePortAddresses, p.String())
	}
	return v
}

func closeAll(servers []*serve.Server) {
	for _, s := range servers {
		_ = s.Close()
	}
}

// runUntilDone serves, runs the sync loops (the proxier's and the
// NetworkPolicy controller's, which program nothing before the source has
// synced), then starts the source, and runs until ctx is done, a server
// fails or the source cannot start; everything is stopped before it
// returns.
func runUntilDone(ctx context.Context, servers []*serve.Server, startSource func() error, loops ...func(context.Context)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	serverErrs := make(chan error, len(servers))
	for _, s := range servers {
		go func() { serverErrs <- s.Serve(ctx) }()
	}
	var loopsDone sync.WaitGroup
	for _, loop := range loops {
		loopsDone.Go(func() { loop(ctx) })
	}

	var firstErr error
	running := len(servers)
	if firstErr = startSource(); firstErr == nil {
		select {
		case <-ctx.Done():
			klog.InfoS("Shutting down nodenet agent")
		case firstErr = <-serverErrs:
			running--
		}
	}
	cancel()
	loopsDone.Wait()
	for ; running > 0; running-- {
		if err := <-serverErrs; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}
