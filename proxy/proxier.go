package proxy

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/nodenet/nodenet/internal/runner"
)

// fullSyncPeriod is how often a sync rewrites everything even when no
// failure asked for it, repairing rules someone else removed. kube-proxy
// uses the same hour; partial syncs run in between.
const fullSyncPeriod = time.Hour

// adaptivePacingFactor: with AdaptivePacing, the pause after a sync is
// this many times its cost, so under constant churn syncs take at most a
// fifth of the loop's time (kube-proxy's fixed 1 s after a 0.5 s iptables
// sync at 10k Services lets them take a third).
const adaptivePacingFactor = 4

// Proxier is the backend-neutral core: it implements the source handlers,
// keeps the change trackers and the desired table, and runs the syncs.
type Proxier struct {
	cfg       Config
	backend   Backend
	services  *ServiceTracker
	endpoints *EndpointTracker
	runner    *runner.Runner

	// mu guards the small state handlers, /healthz and the sync share.
	// It is never held across kernel work, so a long full sync does not
	// stall informer handlers or health probes.
	mu       sync.Mutex
	synced   struct{ services, endpoints bool }
	health   HealthState
	needFull bool // consumed by the next sync
	// node is the agent's own Node as last seen (nodeEvents), handed to
	// the table at the next sync; tableNode is what the table was last
	// given.
	node      NodeState
	tableNode NodeState

	// tableMu guards table against `nodenet dump` while a sync changes
	// it; only the sync goroutine writes it.
	tableMu sync.RWMutex
	table   *Table

	// Touched by the sync goroutine only (the runner runs one at a time).
	// retry: the last sync failed in a backend that resyncs its failed
	// parts in full by itself (FamilyBackends); the next sync must call
	// it even when nothing changed, but need not be full everywhere.
	retry    bool
	lastFull time.Time
	// lastVerified: when needsRepair last asked the backend.
	lastVerified time.Time
	conntrack    conntrackCleanup
	checks       *healthChecks
	now          func() time.Time

	// firstSync is closed after the first successful sync (FirstSynced).
	firstSync     chan struct{}
	firstSyncOnce sync.Once
}

// NewProxier builds a proxier that programs backend.
func NewProxier(cfg Config, backend Backend) *Proxier {
	registerMetrics()
	p := &Proxier{
		cfg:       cfg,
		backend:   backend,
		services:  NewServiceTracker(cfg.Reporter),
		endpoints: NewEndpointTracker(cfg.NodeName, cfg.Reporter),
		table:     NewTable(),
		needFull:  true,
		checks:    newHealthChecks(),
		conntrack: newConntrackCleanup(cfg.Conntrack),
		now:       time.Now,
		firstSync: make(chan struct{}),
	}
	p.node.Name = cfg.NodeName
	p.tableNode.Name = cfg.NodeName
	p.table.Node.Name = cfg.NodeName
	p.runner = newRunner(p.sync, cfg)
	return p
}

// newRunner paces syncs as cfg says, on the real clock.
func newRunner(sync func() error, cfg Config) *runner.Runner {
	if !cfg.AdaptivePacing {
		return runner.New(sync, cfg.MinSyncPeriod, cfg.SyncPeriod)
	}
	pacing := runner.Adaptive(adaptivePacingFactor, cfg.MinSyncPeriod)
	return runner.NewPaced(sync, pacing, runner.RetryAfter(cfg.MinSyncPeriod), cfg.SyncPeriod, clock.RealClock{})
}

// Handlers returns the handlers a source must feed.
func (p *Proxier) Handlers() Handlers {
	return Handlers{Services: ServiceEvents{p}, EndpointSlices: SliceEvents{p}, Nodes: NodeEvents{p}}
}

// Run runs the sync loop until ctx is done. Nothing is programmed before
// Services and EndpointSlices have both synced once.
// A backend that watches the kernel for tampering (TamperWatcher) is
// watched meanwhile.
func (p *Proxier) Run(ctx context.Context) {
	if p.cfg.DetectTampering {
		go p.watchTampering(ctx)
	}
	p.runner.Run(ctx)
}

// FirstSynced is closed once the first sync has put rules in the kernel.
// The firewall starts after it, so that the proxy's FORWARD hooks, placed
// below the firewall's when they see it, never race in above it at start.
func (p *Proxier) FirstSynced() <-chan struct{} { return p.firstSync }

// Snapshot returns a copy of the desired table for `nodenet dump`.
func (p *Proxier) Snapshot() *Table {
	p.tableMu.RLock()
	defer p.tableMu.RUnlock()
	return p.table.Clone()
}

// changed is called by every handler that recorded a pending change.
func (p *Proxier) changed(pending bool) {
	if !pending {
		return
	}
	p.mu.Lock()
	if p.health.QueuedSince.IsZero() {
		p.health.QueuedSince = p.now()
	}
	p.mu.Unlock()
	markQueued(p.backend)
	p.runner.Poke()
}

func (p *Proxier) markSynced(set func()) {
	p.mu.Lock()
	set()
	p.mu.Unlock()
	p.runner.Poke()
}

// sync is the one place that moves tracked changes into the table and the
// table into the kernel.
func (p *Proxier) sync() error {
	node, needFull, ok := p.beginSync()
	if !ok {
		klog.V(2).InfoS("Not syncing yet: waiting for the initial Services and EndpointSlices")
		return nil
	}
	start := p.now()
	p.tableMu.Lock()
	changed, stale, nodeChanged := p.table.ApplyNode(node, p.services.Checkpoint(), p.endpoints.Checkpoint())
	p.tableMu.Unlock()
	triggers := p.endpoints.TakeTriggerTimes()
	p.conntrack.record(stale)
	p.checks.update(p.table, changed)
	tampered := p.takeTampering()
	full := p.takeNeedFull() || needFull || start.Sub(p.lastFull) >= fullSyncPeriod
	if !full && changed.Len() == 0 && !nodeChanged && !p.retry && !tampered {
		if full = p.needsRepair(start); !full {
			observeProgrammed(triggers, p.now())
			p.markHealthy(start)
			p.conntrack.afterSync(p.table, false)
			p.syncHealthChecks()
			return nil
		}
	}
	err := p.backend.Sync(p.table, changed, full)
	p.recordSync(start, full, changed, err)
	if err != nil {
		p.endpoints.RestoreTriggerTimes(triggers)
	} else {
		observeProgrammed(triggers, p.now())
		p.conntrack.afterSync(p.table, full)
		p.syncHealthChecks()
	}
	return err
}

// beginSync takes what a sync needs from the shared state: the node
// state to apply and whether a full sync was asked for (consumed here, so a request
// that arrives during the sync is kept for the next one). ok is false
// until both Services and EndpointSlices have synced.
func (p *Proxier) beginSync() (node NodeState, needFull, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.synced.services || !p.synced.endpoints {
		return NodeState{}, false, false
	}
	needFull, p.needFull = p.needFull, false
	p.tableNode = p.node
	return p.tableNode, needFull, true
}

// takeNeedFull consumes a full sync asked for during this sync's start
// (a tamper check that failed).
func (p *Proxier) takeNeedFull() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	need := p.needFull
	p.needFull = false
	return need
}

func (p *Proxier) markNeedFull() {
	p.mu.Lock()
	p.needFull = true
	p.mu.Unlock()
}

// syncHealthChecks runs after every good sync, also when nothing changed,
// so the sink retries a port it could not bind.
func (p *Proxier) syncHealthChecks() {
	if p.cfg.HealthChecks != nil {
		p.cfg.HealthChecks.SyncHealthChecks(p.checks.snapshot())
	}
}

func (p *Proxier) recordSync(start time.Time, full bool, changed sets.Set[ServicePortName], err error) {
	kind := "partial"
	if full {
		kind = "full"
	}
	elapsed := p.now().Sub(start)
	servicePortsGauge.Set(float64(len(p.table.Services)))
	if err != nil {
		// The kernel may now hold part of what we asked for, or nothing:
		// only a full rewrite restores a known state (of the failed part
		// only, when the backend tracks that itself).
		nextFull := !recoversOwnFailures(p.backend)
		p.retry = !nextFull
		if nextFull {
			// No poke: the runner retries after its back-off.
			p.markNeedFull()
		}
		klog.ErrorS(err, "Sync failed; retrying", "kind", kind, "changedServicePorts", changed.Len(), "nextSyncFull", nextFull)
		return
	}
	p.retry = false
	if full {
		// A full sync wrote everything: nothing to verify for a sync
		// period. Without this the first idle sync after a cold start (the
		// tamper watch pokes one) verified at once, while the first change
		// waited.
		p.lastFull, p.lastVerified = start, start
	}
	p.markHealthy(p.now())
	p.firstSyncOnce.Do(func() { close(p.firstSync) })
	klog.V(2).InfoS("Synced rules", "kind", kind, "changedServicePorts", changed.Len(), "servicePorts", len(p.table.Services), "elapsed", elapsed)
}

func (p *Proxier) markHealthy(at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.health.LastSynced = at
	if !p.services.Pending() && !p.endpoints.Pending() {
		p.health.QueuedSince = time.Time{}
	}
}

// Health reports the sync state for /healthz and /livez: unhealthy when a
// change has waited longer than twice the sync period, as in kube-proxy.
func (p *Proxier) Health() HealthState {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.health
	timeout := 2 * p.cfg.SyncPeriod
	h.Healthy = h.QueuedSince.IsZero() || p.now().Sub(h.QueuedSince) < timeout
	return h
}

// NodeName is the node this proxier programs.
func (p *Proxier) NodeName() string { return p.cfg.NodeName }
