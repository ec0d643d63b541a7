package app

import (
	"context"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/controller"
	"github.com/nodenet/nodenet/netpol/firewall"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/source"
)

// newNetpolController returns the NetworkPolicy controller, nil with
// --netpol=false. It shares the proxy's sync periods.
func newNetpolController(ctx context.Context, cfg *agentConfig, client *source.Client, proxyFirstSynced <-chan struct{}) *controller.Controller {
	if !cfg.Netpol.Enabled {
		return nil
	}
	watch := firewall.WatchTampering
	if !cfg.DetectTampering {
		watch = nil
	}
	return controller.New(controller.Config{
		NodeName:       cfg.NodeName,
		MinSyncPeriod:  cfg.MinSyncPeriod,
		SyncPeriod:     cfg.SyncPeriod,
		Events:         netpolEvents(ctx, client, cfg.NodeName),
		StartAfter:     proxyFirstSynced,
		WatchTampering: watch,
	}, newNetpolEnforcer(cfg.Netpol))
}

// newNetpolEnforcer is where the real firewall is created. It is created
// lazily, at the first sync and again after a failure, so that a firewall
// that cannot start never stops the proxy (the controller logs and
// retries).
func newNetpolEnforcer(cfg netpolConfig) netpol.Enforcer {
	opts := firewall.Options{LogDrops: cfg.LogDrops, LogGroup: cfg.LogGroup}
	return controller.Lazy(func() (netpol.Enforcer, error) { return firewall.New(opts) })
}

// netpolEvents records Warning Events on invalid NetworkPolicies; nil
// without an API server (--manifests): the log line is all there is then.
func netpolEvents(ctx context.Context, client *source.Client, nodeName string) controller.EventRecorder {
	if client == nil {
		return nil
	}
	return newEventRecorder(ctx, client, nodeName)
}

// withNetpol adds the controller's handlers to h: Pods, Namespaces and
// NetworkPolicies, and the own Node beside the handlers already there.
// With ctrl nil (--netpol=false) h is unchanged, so the source does not
// watch those kinds at all.
func withNetpol(h source.Handlers, ctrl *controller.Controller) source.Handlers {
	if ctrl == nil {
		return h
	}
	return withPolicyKinds(h, ctrl.Handlers())
}

// withPolicyKinds adds the NetworkPolicy side's handlers (Pods,
// Namespaces, NetworkPolicies, and Nodes beside the proxy's) to h.
func withPolicyKinds(h, mine source.Handlers) source.Handlers {
	h.Pods, h.Namespaces, h.NetworkPolicies = mine.Pods, mine.Namespaces, mine.NetworkPolicies
	h.Nodes = source.NodeFanout{h.Nodes, mine.Nodes}
	return h
}

// netpolModel is what the metrics server serves on /netpol/; nil when the
// controller is off.
func netpolModel(ctrl *controller.Controller) func() *netpol.Model {
	if ctrl == nil {
		return nil
	}
	return ctrl.Model
}

// runLoops are the sync loops to run beside the servers.
func runLoops(p *proxy.Proxier, ctrl *controller.Controller) []func(context.Context) {
	loops := []func(context.Context){p.Run}
	if ctrl != nil {
		loops = append(loops, ctrl.Run)
	}
	return loops
}
