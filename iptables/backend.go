package iptables

import (
	"fmt"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/proxy"
)

// Backend programs Services with iptables-restore. Frontends are spread
// over shard chains (by the last byte of their address, or by NodePort
// range) reached from fixed dispatch chains, so a sync rewrites only the
// shards whose Services changed: the cost of a change does not grow with
// the number of Services, and a full sync declares a few hundred chains
// instead of one or more per Service (which is what makes a kube-proxy
// shaped restore slow).
type Backend struct {
	cfg    config
	kernel Kernel
	index  *index
	// inKernel is the shard chains known to exist after the last successful
	// apply; nil when unknown (never applied, or the last apply failed).
	inKernel *chainSet
	// tamper is written by the tamper watcher's goroutine; repair is
	// what TakeTampering found for the next Sync (tamper.go).
	tamper tamperState
	repair *repairPlan
	// legacy: this family is iptables-legacy (no notifications), and
	// legacyAfter the nat table as the last restore left it
	// (legacywatch.go); both read by the watcher's goroutine.
	legacy      atomic.Bool
	legacyAfter atomic.Pointer[legacyInfo]
	// ruleCounts feed kube-proxy's rule-count metrics (rulecount.go).
	ruleCounts ruleCounts
	// acctFailed: creating the nfacct counters failed once (logged once).
	acctFailed bool
}

// chainSet is the set of shards whose nat / filter chain exists.
type chainSet struct{ nat, filter sets.Set[shardID] }

func newChainSet() *chainSet {
	return &chainSet{nat: sets.New[shardID](), filter: sets.New[shardID]()}
}

func (c *chainSet) clone() *chainSet {
	return &chainSet{nat: c.nat.Clone(), filter: c.filter.Clone()}
}

// New returns a backend that programs the kernel of the current network
// namespace through iptables-restore / ip6tables-restore.
func New(opts Options) (*Backend, error) {
	cfg, err := configOf(opts)
	if err != nil {
		return nil, err
	}
	k, err := newExecKernel(cfg.family)
	if err != nil {
		return nil, err
	}
	b, err := NewWithKernel(opts, k)
	if err != nil {
		return nil, err
	}
	b.legacy.Store(cfg.family.isLegacy())
	return b, nil
}

// NewWithKernel returns a backend that programs k (a fake in tests).
func NewWithKernel(opts Options, k Kernel) (*Backend, error) {
	cfg, err := configOf(opts)
	if err != nil {
		return nil, err
	}
	return &Backend{cfg: cfg, kernel: k, index: newIndex()}, nil
}

// Sync implements proxy.Backend.
func (b *Backend) Sync(t *proxy.Table, changed sets.Set[proxy.ServicePortName], full bool) error {
	// New primary node IPs change the NodePort jumps in the dispatch
	// chains, which only full syncs are sure to rewrite.
	if b.cfg.takePrimaryIPs(t.Node.PrimaryIPs) || b.inKernel == nil {
		full = true
	}
	repair := b.repair
	b.repair = nil
	if repair != nil && repair.full {
		full = true
	}
	if full {
		b.cfg.countInvalid = b.ensureCounters()
	}
	start := time.Now()
	plan, err := b.plan(t, changed, full)
	if err != nil {
		b.inKernel = nil
		return err
	}
	if !full {
		b.addRepair(t, plan, repair)
	}
	payload := plan.payload()
	lines := plan.lines()
	shardCounts := plan.shardCounts()
	// The payload holds every rule now: let the GC take the shards' copy
	// while iptables-restore runs (16 MB at 10k Services).
	plan.rules = nil
	planned := time.Now()
	if len(payload) == 0 {
		// Nothing of this family changed (a dual-stack node's other
		// backend, say): starting iptables-restore would cost ~10 ms.
		b.reportRuleCounts(plan, shardCounts, payload)
		return nil
	}
	if err := b.kernel.Restore(payload); err != nil {
		b.inKernel = nil
		if !full {
			// As kube-proxy counts them: the next sync is full.
			partialRestoreFailures.WithLabelValues(string(b.cfg.family.ipFamily)).Inc()
		}
		return fmt.Errorf("apply %d shard(s): %w", len(plan.shards), err)
	}
	b.reportRuleCounts(plan, shardCounts, payload)
	b.inKernel = plan.after
	b.rememberLegacy()
	klog.V(4).InfoS("Applied iptables rules", "full", full, "shards", len(plan.shards), "lines", lines,
		"bytes", len(payload), "plan", planned.Sub(start), "restore", time.Since(planned))
	return nil
}

// plan computes, without touching the kernel (but for reading which shard
// chains exist on a full sync), what this sync must write.
func (b *Backend) plan(t *proxy.Table, changed sets.Set[proxy.ServicePortName], full bool) (*plan, error) {
	dirty := sets.New[shardID]()
	before := b.inKernel
	var missingHooks []hook
	var hookAt map[string]int
	hairpinChanged := false
	if full {
		view, err := b.readKernel()
		if err != nil {
			return nil, err
		}
		before, missingHooks, hookAt = view.chains, view.missingHooks, view.hookAt
		b.index = newIndex()
		for name, sp := range t.Services {
			b.index.set(name, b.cfg.shardsFor(sp))
			b.index.setLocal(name, b.cfg.localAddrsOf(t, name))
		}
		dirty.Insert(before.nat.UnsortedList()...)
		dirty.Insert(before.filter.UnsortedList()...)
		for s := range b.index.members {
			dirty.Insert(s)
		}
	} else {
		for name := range changed {
			dirty.Insert(b.index.set(name, b.cfg.shardsFor(t.Services[name]))...)
			hairpinChanged = b.index.setLocal(name, b.cfg.localAddrsOf(t, name)) || hairpinChanged
		}
	}
	p := b.cfg.newPlan(t, b.index, before, dirty, full)
	p.hooks, p.hookAt = missingHooks, hookAt
	if full || hairpinChanged {
		p.hairpin = b.index.hairpinAddrs()
		p.writeHairpin = true
	}
	return p, nil
}
