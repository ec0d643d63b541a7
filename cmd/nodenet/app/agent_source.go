package app

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/nodenet/nodenet/agent/eventrecorder"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/source"
)

func (c *agentConfig) sourceName() string {
	if c.Manifests != "" {
		return "manifests:" + c.Manifests
	}
	return "apiserver"
}

// agentClient is the API client, nil with --manifests (no cluster).
func agentClient(cfg *agentConfig) (*source.Client, error) {
	if cfg.Manifests != "" {
		return nil, nil
	}
	return newClient(cfg.Master, cfg.Kubeconfig)
}

// agentReporter reports skipped objects as log lines, plus Events on the
// objects when there is a cluster to record them in.
func agentReporter(ctx context.Context, client *source.Client, nodeName string) proxy.Reporter {
	if client == nil {
		return proxy.LogReporter{}
	}
	return proxy.NewEventReporter(newEventRecorder(ctx, client, nodeName))
}

// newEventRecorder records Events through client, naming the node the
// agent runs as (--hostname-override) as their source host, as kube-proxy
// does: the machine's hostname may be another name altogether. It stops
// with ctx.
func newEventRecorder(ctx context.Context, client *source.Client, nodeName string) *eventrecorder.Recorder {
	return eventrecorder.New(ctx, client.EventSink(ctx), source.Scheme(), v1.EventSource{Component: "nodenet", Host: nodeName})
}

// startSource starts feeding h from the manifests folder or the API
// server (client); it returns once the watches are started.
func startSource(ctx context.Context, cfg *agentConfig, client *source.Client, h source.Handlers) error {
	if client == nil {
		if err := source.RunManifests(ctx, cfg.Manifests, cfg.NodeName, h); err != nil {
			return fmt.Errorf("reading manifests from %s: %w", cfg.Manifests, err)
		}
		return nil
	}
	if err := source.RunInformers(ctx, client, cfg.NodeName, h, cfg.ConfigSyncPeriod); err != nil {
		return fmt.Errorf("starting informers: %w", err)
	}
	return nil
}

// newClient builds an API client from --master/--kubeconfig, or the
// in-cluster config when both are empty (the DaemonSet case).
func newClient(master, kubeconfig string) (*source.Client, error) {
	restCfg, err := clientcmd.BuildConfigFromFlags(master, kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading API client config (--master=%q --kubeconfig=%q): %w", master, kubeconfig, err)
	}
	client, err := source.NewClient(rest.AddUserAgent(restCfg, "nodenet"))
	if err != nil {
		return nil, fmt.Errorf("creating API client: %w", err)
	}
	return client, nil
}
