package controller

import (
	"time"

	"k8s.io/klog/v2"
)

// verifier is implemented by enforcers that can check cheaply that their
// rules are still hooked where they must be (the firewall's hook first in
// FORWARD). Someone flushing or reordering FORWARD (a firewalld reload,
// another agent inserting above it) would otherwise leave pods unprotected
// until the hourly full sync.
type verifier interface {
	Intact() (bool, error)
}

// needsRepair runs on every sync that is not already full, and checks at
// most once per sync period, like the proxy's check of its own hooks.
func (c *Controller) needsRepair(now time.Time) bool {
	v, ok := c.enforcer.(verifier)
	if !ok || now.Sub(c.lastVerified) < c.cfg.SyncPeriod {
		return false
	}
	c.lastVerified = now
	intact, err := v.Intact()
	if err != nil {
		klog.ErrorS(err, "Cannot check that the NetworkPolicy rules are still hooked; will check again")
		return false
	}
	if !intact {
		klog.InfoS("The NetworkPolicy rules are no longer hooked first in FORWARD (flushed or reordered by someone else?); repairing with a full sync")
	}
	return !intact
}
