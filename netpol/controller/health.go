package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// ReasonNotEnforced is the reason of the Warning Event recorded on a
// NetworkPolicy whose change has waited too long for the firewall.
const ReasonNotEnforced = "NetworkPolicyNotEnforced"

// healthCheckEvery is how often the health watch looks: it must see a
// stuck sync (an iptables-restore that hangs) as well as a failing one,
// so it runs beside the sync loop, not in it.
const healthCheckEvery = time.Second

// health is what the sync loop tells the health watch.
type health struct {
	mu           sync.Mutex
	failingSince time.Time                                            // first failed sync since the last success
	lastErr      error                                                // of the last failed sync
	applied      map[types.NamespacedName]*networkingv1.NetworkPolicy // at the last success
}

func (h *health) succeeded(applied []*networkingv1.NetworkPolicy) {
	m := make(map[types.NamespacedName]*networkingv1.NetworkPolicy, len(applied))
	for _, np := range applied {
		m[types.NamespacedName{Namespace: np.Namespace, Name: np.Name}] = np
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failingSince, h.lastErr, h.applied = time.Time{}, nil, m
}

func (h *health) failed(at time.Time, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failingSince.IsZero() {
		h.failingSince = at
	}
	h.lastErr = err
}

// Waiting tells how long the oldest change not yet enforced, or the
// first of the failures since the last success, has waited (0: none).
func (c *Controller) Waiting() time.Duration {
	since := c.store.PendingSince()
	c.health.mu.Lock()
	if f := c.health.failingSince; !f.IsZero() && (since.IsZero() || f.Before(since)) {
		since = f
	}
	c.health.mu.Unlock()
	if since.IsZero() {
		return 0
	}
	return c.now().Sub(since)
}

// Healthy is false when a change has waited longer than twice the sync
// period, as the proxy's own health (and kube-proxy's) counts: the
// firewall cannot apply (iptables-restore failing or stuck), so a new
// NetworkPolicy is not enforced.
func (c *Controller) Healthy() bool { return c.Waiting() <= 2*c.cfg.SyncPeriod }

// watchHealth keeps the health metrics current and reports each episode
// of unhealthiness once: a log line, and a Warning Event on every policy
// whose current spec is not the one last enforced.
func (c *Controller) watchHealth(ctx context.Context) {
	unhealthy := false
	for {
		waited := c.Waiting()
		recordHealth(waited, c.Healthy())
		switch {
		case !c.Healthy() && !unhealthy:
			unhealthy = true
			c.reportStuck(waited)
		case c.Healthy() && unhealthy:
			unhealthy = false
			klog.InfoS("NetworkPolicy changes are enforced again")
		}
		next := c.clock.NewTimer(healthCheckEvery)
		select {
		case <-ctx.Done():
			next.Stop()
			return
		case <-next.C():
		}
	}
}

func (c *Controller) reportStuck(waited time.Duration) {
	c.health.mu.Lock()
	lastErr, applied := c.health.lastErr, c.health.applied
	c.health.mu.Unlock()
	msg := fmt.Sprintf("NetworkPolicy changes have waited %s for the firewall (more than twice the sync period %s)",
		waited.Round(time.Second), c.cfg.SyncPeriod)
	if lastErr != nil {
		msg += ": " + lastErr.Error()
	}
	klog.ErrorS(lastErr, "NetworkPolicy firewall unhealthy: changes are not enforced", "waited", waited.Round(time.Second))
	if c.cfg.Events == nil {
		return
	}
	for key, np := range c.store.Policies() {
		if prev := applied[key]; prev != nil && equality.Semantic.DeepEqual(prev.Spec, np.Spec) {
			continue
		}
		c.cfg.Events.Eventf(np, v1.EventTypeWarning, ReasonNotEnforced, "%s", msg)
	}
}
