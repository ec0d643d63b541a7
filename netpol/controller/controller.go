package controller

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/nodenet/nodenet/internal/runner"
	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/source"
)

// fullSyncPeriod is how often a sync is full even when nothing failed, so
// the enforcer repairs rules someone else removed; the proxy's hour.
const fullSyncPeriod = time.Hour

// defaultSyncPeriod is --iptables-sync-period's default, for callers that
// leave Config.SyncPeriod zero.
const defaultSyncPeriod = 30 * time.Second

// Config tunes a Controller.
type Config struct {
	// NodeName is this node: only its pods get rules.
	NodeName string
	// MinSyncPeriod is the least time between two syncs
	// (--iptables-min-sync-period), also the wait before a retry (at least
	// a second); SyncPeriod the longest time without one
	// (--iptables-sync-period).
	MinSyncPeriod time.Duration
	SyncPeriod    time.Duration
	// Events, if set, gets a Warning Event on each invalid NetworkPolicy
	// (the log line is written either way). nil without an API server.
	Events EventRecorder
	// StartAfter, if set, delays the first sync until it is closed, or
	// SyncPeriod has passed: the agent passes the proxier's FirstSynced.
	StartAfter <-chan struct{}
	// Clock, if set, replaces the real clock (tests: runnertest.Clock).
	Clock clock.Clock
	// WatchTampering, if set, reports kernel changes that may have undone
	// the enforcer's rules until ctx is done (firewall.WatchTampering);
	// each makes the next sync check, and repair if they did.
	WatchTampering func(ctx context.Context, notify func(what string))
}

// EventRecorder is the method of client-go's record.EventRecorder the
// controller uses; an interface of its own keeps client-go's recorder
// packages out of this one.
type EventRecorder interface {
	Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

// Controller computes the Model from the Store and has the Enforcer apply
// it. It never fails for good: a failed sync is logged and retried, so
// the proxy running beside it keeps working whatever the firewall does.
type Controller struct {
	cfg      Config
	store    *Store
	enforcer netpol.Enforcer
	runner   *runner.Runner
	clock    clock.Clock
	now      func() time.Time

	// modelMu guards model for readers (/netpol/policies, /netpol/trace);
	// it is never held across Compute or Enforcer.Sync.
	modelMu sync.RWMutex
	model   *netpol.Model

	// Touched by the sync goroutine only (the runner runs one at a time).
	needFull     bool
	lastFull     time.Time
	appliedGen   uint64
	applied      bool
	reported     map[types.NamespacedName]reportedProblem
	waitedOnNode bool
	lastErr      string // of the last failed sync, "" after a success
	lastVerified time.Time

	health   health   // shared with the health watch and /healthz
	suspects suspects // changes reported by WatchTampering
}

// New returns a controller enforcing through enforcer. Feed its Handlers
// to a source and call Run.
func New(cfg Config, enforcer netpol.Enforcer) *Controller {
	registerMetrics()
	if cfg.SyncPeriod <= 0 {
		cfg.SyncPeriod = defaultSyncPeriod
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	c := &Controller{
		cfg:      cfg,
		enforcer: enforcer,
		clock:    cfg.Clock,
		now:      cfg.Clock.Now,
		needFull: true, // the first sync rewrites whatever a previous run left
		reported: map[types.NamespacedName]reportedProblem{},
	}
	c.runner = runner.NewWithClock(c.sync, cfg.MinSyncPeriod, cfg.SyncPeriod, cfg.Clock)
	c.store = NewStore(c.runner.Poke)
	c.store.now = cfg.Clock.Now // changes wait by the controller's clock
	return c
}

// Handlers returns the Pod, Namespace, NetworkPolicy and Node handlers to
// add to the source's source.Handlers (Nodes beside the proxier's, with
// source.NodeFanout).
func (c *Controller) Handlers() source.Handlers { return c.store.Handlers() }

// Run syncs until ctx is done. Nothing is enforced before every kind has
// synced once (see sync).
func (c *Controller) Run(ctx context.Context) {
	if !c.waitToStart(ctx) {
		return
	}
	go c.watchHealth(ctx)
	if c.cfg.WatchTampering != nil {
		go c.watchTampering(ctx)
	}
	c.runner.Run(ctx)
}

// waitToStart waits for cfg.StartAfter, at most one sync period: a proxy
// that cannot sync must not keep the firewall off. It returns false when
// ctx ends first.
func (c *Controller) waitToStart(ctx context.Context) bool {
	if c.cfg.StartAfter == nil {
		return true
	}
	limit := c.clock.NewTimer(c.cfg.SyncPeriod)
	defer limit.Stop()
	select {
	case <-c.cfg.StartAfter:
	case <-limit.C():
		klog.InfoS("The proxy has not synced yet; enforcing NetworkPolicies anyway", "waited", c.cfg.SyncPeriod)
	case <-ctx.Done():
		return false
	}
	return true
}

// Model returns the latest computed Model, nil before the first sync. It
// is shared and must not be modified.
func (c *Controller) Model() *netpol.Model {
	c.modelMu.RLock()
	defer c.modelMu.RUnlock()
	return c.model
}

func (c *Controller) setModel(m *netpol.Model) {
	c.modelMu.Lock()
	c.model = m
	c.modelMu.Unlock()
}
