package app

import (
	"context"
	"time"

	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/netpol/controller"
)

// firewallHealthy is the firewall's part of /healthz and /livez (nil
// with --netpol=false): the controller's own health (a change waiting too
// long), and false while it still waits for an initial list (Pods,
// Namespaces, NetworkPolicies, the Node) more than grace after start.
// Nothing is enforced until then, and a kind the agent may not list (its
// RBAC role lacks it) keeps it so forever: that must show as unhealthy,
// not as a healthy node whose policies silently do nothing.
func firewallHealthy(ctrl *controller.Controller, grace time.Duration, now func() time.Time) func() bool {
	if ctrl == nil {
		return nil
	}
	start := now()
	return func() bool {
		listed := now().Sub(start) <= grace || len(ctrl.WaitingFor()) == 0
		return listed && ctrl.Healthy()
	}
}

// firewallStartGrace is how long the firewall may wait for its initial
// lists before health fails: kube-proxy's healthz allows two sync periods.
func firewallStartGrace(cfg *agentConfig) time.Duration { return 2 * cfg.SyncPeriod }

// firewallWaitingLoops says once, after the grace, which lists the
// firewall still lacks and the likely cause; client-go's own lines
// ("Failed to watch ... forbidden") repeat with backoff and do not say
// what stops working. None with --netpol=false.
func firewallWaitingLoops(cfg *agentConfig, ctrl *controller.Controller) []func(context.Context) {
	if ctrl == nil {
		return nil
	}
	grace := firewallStartGrace(cfg)
	return []func(context.Context){func(ctx context.Context) {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if kinds := ctrl.WaitingFor(); len(kinds) > 0 {
			klog.ErrorS(nil, "NetworkPolicies are NOT enforced: the firewall has not received its initial lists; "+
				"check that the agent may list and watch them (its ClusterRole); /healthz fails until it can",
				"waitingFor", kinds, "after", grace)
		}
	}}
}
