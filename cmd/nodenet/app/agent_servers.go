package app

import (
	"context"
	"time"

	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/proxy/serve"
)

// listenServers binds the healthz and metrics servers that are enabled
// (an empty bind address disables one, as in kube-proxy).
func listenServers(cfg *agentConfig, p *proxy.Proxier) ([]*serve.Server, error) {
	var servers []*serve.Server
	if cfg.HealthzBindAddr != "" {
		s, err := serve.Listen("healthz", cfg.HealthzBindAddr, serve.NewHealthzHandler(p.Health, time.Now))
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}
	if cfg.MetricsBindAddr != "" {
		s, err := serve.Listen("metrics", cfg.MetricsBindAddr, serve.NewMetricsHandler(p.Snapshot, proxyMode))
		if err != nil {
			closeAll(servers)
			return nil, err
		}
		servers = append(servers, s)
	}
	return servers, nil
}

func closeAll(servers []*serve.Server) {
	for _, s := range servers {
		_ = s.Close()
	}
}

// runUntilDone serves, runs the proxier (which programs nothing before the
// source has synced), then starts the source, and runs until ctx is done,
// a server fails or the source cannot start; everything is stopped before
// it returns.
func runUntilDone(ctx context.Context, p *proxy.Proxier, servers []*serve.Server, startSource func() error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	serverErrs := make(chan error, len(servers))
	for _, s := range servers {
		go func() { serverErrs <- s.Serve(ctx) }()
	}
	proxierDone := make(chan struct{})
	go func() {
		defer close(proxierDone)
		p.Run(ctx)
	}()

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
	<-proxierDone
	for ; running > 0; running-- {
		if err := <-serverErrs; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}
