package controller

import (
	"fmt"

	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/netpol"
)

// sync is the one place where the Store becomes a Model and the Model
// reaches the kernel.
//
// Nothing is enforced until Pods, Namespaces, NetworkPolicies and the Node
// have all delivered their initial list. After a restart, a partial view
// would be enforced as if it were the cluster: policies known before the
// pods they allow would deny live traffic, pods known before their
// policies would be wide open, and a missing Node would leave its pod
// CIDRs ungated. The previous run's rules stay in the kernel meanwhile.
func (c *Controller) sync() error {
	gen, synced := c.store.State()
	if !synced {
		klog.V(2).InfoS("Not enforcing NetworkPolicies yet: waiting for the initial Pods, Namespaces, NetworkPolicies and Node")
		return nil
	}
	start := c.now()
	full := c.needFull || start.Sub(c.lastFull) >= fullSyncPeriod
	if !full {
		// Checked whether or not anything changed: in a busy cluster
		// nearly every sync has a pod to apply, and a partial sync does
		// not put the hook back.
		full = c.tampered() || c.needsRepair(start)
	}
	if !full && c.applied && gen == c.appliedGen {
		return nil // nothing changed since the last successful sync
	}
	c.warnIfNoNode()
	in, gen := c.store.Snapshot(c.cfg.NodeName)
	m, errs := netpol.Compute(in)
	c.reportInvalid(in.Policies, errs)
	c.setModel(m)
	err := c.enforcer.Sync(m, full)
	recordSync(start, c.now(), full, m, err)
	if err != nil {
		c.health.failed(start, err)
		// The enforcer may have applied part of the model: only a full
		// sync, which re-reads the kernel, is sure to converge.
		c.needFull = true
		c.logFailure(err, full)
		return fmt.Errorf("enforcing NetworkPolicies: %w", err)
	}
	if c.lastErr != "" {
		klog.InfoS("NetworkPolicies enforced again after failures")
		c.lastErr = ""
	}
	c.needFull, c.applied, c.appliedGen = false, true, gen
	c.store.MarkApplied(gen)
	c.health.succeeded(in.Policies)
	if full {
		// A full sync also put the hook back first: nothing to verify
		// for another sync period.
		c.lastFull, c.lastVerified = start, start
	}
	klog.V(2).InfoS("Enforced NetworkPolicies", "full", full, "localPods", len(m.LocalPods),
		"policies", m.PolicyCount, "invalid", len(m.Errors), "took", c.now().Sub(start))
	return nil
}

// warnIfNoNode says once why node IPs and pod CIDRs are empty: the Node
// informer synced without the agent's own Node.
func (c *Controller) warnIfNoNode() {
	if c.waitedOnNode || c.store.NodeSeen() {
		return
	}
	c.waitedOnNode = true
	klog.InfoS("Own Node object not found: enforcing NetworkPolicies without node IPs and pod CIDRs until it appears",
		"node", c.cfg.NodeName)
}

// logFailure logs a failed sync as an error when the error is new; a
// firewall that keeps failing the same way (ipset missing) is retried
// every second or so, and repeating the line would bury the log. The
// sync_errors_total metric counts every failure.
func (c *Controller) logFailure(err error, full bool) {
	if msg := err.Error(); msg != c.lastErr {
		c.lastErr = msg
		klog.ErrorS(err, "Failed to enforce NetworkPolicies; retrying with a full sync (the proxy is unaffected)", "full", full)
		return
	}
	klog.V(2).InfoS("Enforcing NetworkPolicies failed again", "err", err)
}
