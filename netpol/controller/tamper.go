package controller

import (
	"context"
	"strings"
	"sync"
	"time"

	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/internal/tamper"
)

// tamperChecker is implemented by enforcers that can tell whether their
// applied rules are still in the kernel as applied (firewall.Tampered).
type tamperChecker interface {
	Tampered() (string, error)
}

// setChecker is implemented by enforcers that can tell whether their
// sets still hold what they applied (firewall.SetsTampered): ipset
// changes are announced nowhere, so they are checked every
// setCheckInterval. SetsTampered must be safe beside Sync: the ticker
// calls it on its own goroutine, and only a difference wakes the sync,
// which checks again (the ticker may have looked in the middle of a
// sync's own set changes) before repairing.
type setChecker interface {
	SetsTampered() (string, error)
}

// legacyChecker is implemented by enforcers that can tell, cheaply and
// beside Sync, that an iptables-legacy table they write changed
// (firewall.LegacyChanged): legacy announces nothing. A change is handled
// like a reported one: the sync checks with Tampered.
type legacyChecker interface {
	LegacyChanged() string
}

// setCheckInterval is how often the sets are checked: the repair
// deadline is 2 s, and a check reads only the sets' headers.
const setCheckInterval = time.Second

// suspects are the changes WatchTampering reported since the last sync
// looked (a few kept, for the log line), and whether the sets are due
// for a check.
type suspects struct {
	mu    sync.Mutex
	whats []string
	count int
	sets  bool
}

func (s *suspects) setsDue() {
	s.mu.Lock()
	s.sets = true
	s.mu.Unlock()
}

func (s *suspects) takeSetsDue() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	due := s.sets
	s.sets = false
	return due
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
	go c.tickSetChecks(ctx)
	c.cfg.WatchTampering(ctx, func(what string) {
		c.suspects.add(what)
		c.runner.Poke()
	})
}

// legacyCheckInterval is how often an iptables-legacy table is looked
// at: one getsockopt per family, so the 2 s repair deadline keeps a
// margin for the sync that follows.
const legacyCheckInterval = 500 * time.Millisecond

// tickSetChecks checks the sets every setCheckInterval, and legacy tables
// every legacyCheckInterval, and wakes a sync when they differ from what
// was applied (an idle node pays one netlink dump of set headers a
// second, and a getsockopt per legacy family twice a second, no sync).
func (c *Controller) tickSetChecks(ctx context.Context) {
	if checker, ok := c.enforcer.(setChecker); ok {
		go tick(ctx, setCheckInterval, func() {
			if what, err := checker.SetsTampered(); what != "" || err != nil {
				c.suspects.setsDue()
				c.runner.Poke()
			}
		})
	}
	if legacy, ok := c.enforcer.(legacyChecker); ok {
		go tick(ctx, legacyCheckInterval, func() {
			if what := legacy.LegacyChanged(); what != "" {
				c.suspects.add(what)
				c.runner.Poke()
			}
		})
	}
}

// tick runs check every interval until ctx is done.
func tick(ctx context.Context, interval time.Duration, check func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			check()
		}
	}
}

// tampered runs in sync: after reported changes, it asks the enforcer
// whether they undid what it applied (its own syncs cause such reports
// too, and then nothing is wrong). True asks for a repairing full sync.
func (c *Controller) tampered() bool {
	whats, n := c.suspects.take()
	setsDue := c.suspects.takeSetsDue()
	if !c.applied {
		return false
	}
	if setsDue && c.setsTampered() {
		return true
	}
	if n == 0 {
		return false
	}
	checker, ok := c.enforcer.(tamperChecker)
	if !ok {
		return false
	}
	return repairIfChanged(checker.Tampered, tamperKind, "reported", whats, "reports", n)
}

// repairIfChanged runs check; true (a repairing full sync) when it found
// a change, logged and counted, or could not look.
func repairIfChanged(check func() (string, error), kind func(string) string, keysAndValues ...any) bool {
	what, err := check()
	if err != nil {
		klog.ErrorS(err, "Cannot check the NetworkPolicy rules and sets; repairing with a full sync")
		return true
	}
	if what == "" {
		return false
	}
	tamperRepairs.Inc()
	tamper.Repaired("firewall", kind(what))
	klog.InfoS("NetworkPolicy rules changed by someone else; repairing with a full sync",
		append([]any{"change", what}, keysAndValues...)...)
	return true
}

// tamperKind is the label of nodenet_tamper_repairs_total for one of
// Tampered's descriptions.
func tamperKind(what string) string {
	switch {
	case strings.Contains(what, "hook"):
		return tamper.Hook
	case strings.Contains(what, "set "):
		return tamper.Set
	case strings.Contains(what, "missing"):
		return tamper.Table
	}
	return tamper.Chain
}

// setsTampered checks the enforcer's sets; true asks for a repairing full
// sync (which reconciles every set's members).
func (c *Controller) setsTampered() bool {
	checker, ok := c.enforcer.(setChecker)
	if !ok {
		return false
	}
	return repairIfChanged(checker.SetsTampered, func(string) string { return tamper.Set })
}
