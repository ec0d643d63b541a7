package app

import (
	"context"
	"errors"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/podroutes"
	"github.com/nodenet/nodenet/source"
)

func (o *agentOptions) addPodRoutesFlag(fs *pflag.FlagSet) {
	fs.BoolVar(&o.PodRoutes, "pod-routes", o.PodRoutes, "Route every other Node's pod CIDRs (spec.podCIDRs) via its InternalIP, and remove the routes when the Node goes: pod-to-pod traffic between nodes on one L2 segment without another network agent. Needs the API server (watches every Node).")
}

func (o *agentOptions) validatePodRoutes() error {
	if o.PodRoutes && o.Manifests != "" {
		return errors.New("--pod-routes needs the API server: it routes to every Node of the cluster, and --manifests carries only this one")
	}
	return nil
}

// podRoutesLoops is the loop of the pod routes controller with
// --pod-routes, none without. Its failures are logged and retried, never
// fatal: the proxy keeps working whatever the routes do.
func podRoutesLoops(cfg *agentConfig, client *source.Client) []func(context.Context) {
	if !cfg.PodRoutes || client == nil {
		return nil
	}
	c := podroutes.New(cfg.NodeName, podroutes.Netlink{}, cfg.MinSyncPeriod, cfg.SyncPeriod)
	return []func(context.Context){func(ctx context.Context) {
		go func() {
			if err := c.Watch(ctx, source.NewNodesInformer(client, cfg.ConfigSyncPeriod)); err != nil && ctx.Err() == nil {
				klog.ErrorS(err, "Pod routes are not programmed")
			}
		}()
		c.Run(ctx)
	}}
}
