package controller

import (
	"context"
	"sync"

	"k8s.io/klog/v2"
)

// tamperChecker is implemented by enforcers that can tell whether their
// applied rules are still in the kernel as applied (firewall.Tampered).
type tamperChecker interface {
	Tampered() (string, error)
}

// suspects are the changes WatchTampering reported since the last sync
// looked (a few kept, for the log line).
type suspects struct {
	mu    sync.Mutex
	whats []string
	count int
}

const keptSuspects = 5

func (s *suspects) add(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	if len(s.whats) < keptSuspects {
		s.whats = append(s.whats, what)
	}
}

func (s *suspects) take() (whats []string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	whats, count = s.whats, s.count
	s.whats, s.count = nil, 0
	return whats, count
}

// watchTampering runs cfg.WatchTampering: each reported change is kept
// and pokes the runner, so the next sync (MinSyncPeriod at the latest)
// checks the kernel.
func (c *Controller) watchTampering(ctx context.Context) {
	c.cfg.WatchTampering(ctx, func(what string) {
		c.suspects.add(what)
		c.runner.Poke()
	})
}

// tampered runs in sync: after reported changes, it asks the enforcer
// whether they undid what it applied (its own syncs cause such reports
// too, and then nothing is wrong). True asks for a repairing full sync.
func (c *Controller) tampered() bool {
	whats, n := c.suspects.take()
	if n == 0 || !c.applied {
		return false
	}
	checker, ok := c.enforcer.(tamperChecker)
	if !ok {
		return false
	}
	what, err := checker.Tampered()
	if err != nil {
		klog.ErrorS(err, "Cannot check the NetworkPolicy rules after a reported change; repairing with a full sync")
		return true
	}
	if what == "" {
		return false
	}
	tamperRepairs.Inc()
	klog.InfoS("NetworkPolicy rules changed by someone else; repairing with a full sync",
		"change", what, "reported", whats, "reports", n)
	return true
}
