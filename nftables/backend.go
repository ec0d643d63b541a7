package nftables

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"
	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/proxy"
)

// Backend programs Services into nodenet's nftables table of one family.
// It remembers what it wrote (state), so an incremental sync is one
// transaction holding only the changed chains and elements, computed
// without reading the kernel; only full syncs (start, periodic, after a
// failure) list the table.
type Backend struct {
	cfg config
	nft knftables.Interface
	// grouped, when set, applies transactions with each map's elements
	// in one nft command (grouped.go); nil: through nft, one element at a
	// time (knftables' fake in tests).
	grouped *nftRunner
	// rules counts a chain's rules for Intact and the tamper repair
	// (rulecount.go): over netlink on the real kernel.
	rules ruleCounter
	st    *state // nil: the kernel's content is unknown; the next sync is full
	// reports are written by the tamper watcher's goroutine (tamper.go).
	reports tamperReports
}

// New returns a backend for opts.Family in the current network namespace.
func New(opts Options) (*Backend, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	nft, err := newInterface(cfg.family)
	if err != nil {
		return nil, err
	}
	grouped, err := newNFTRunner(cfg.family)
	if err != nil {
		return nil, err
	}
	registerMetrics()
	return &Backend{cfg: cfg, nft: nft, grouped: grouped, rules: newNetlinkCounter(cfg.family)}, nil
}

// NewWithInterface returns a backend that programs nft (knftables' fake in
// tests); nft must be bound to TableName in opts.Family's nft family.
func NewWithInterface(opts Options, nft knftables.Interface) (*Backend, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	registerMetrics()
	return &Backend{cfg: cfg, nft: nft, rules: listingCounter{nft}}, nil
}

// newInterface binds knftables to our table. List* go through netlink
// (knftables' UseNetlink): `nft list table` would print every rule of a
// 10k-Service table to learn the chain names (kubernetes#139513).
func newInterface(f family) (knftables.Interface, error) {
	nft, err := knftables.New(f.nft, TableName, knftables.UseNetlink)
	if err != nil {
		return nil, fmt.Errorf("nftables %s: %w", f.nft, err)
	}
	return nft, nil
}

// Sync implements proxy.Backend; failures are counted as kube-proxy's
// nftables mode counts them.
func (b *Backend) Sync(t *proxy.Table, changed sets.Set[proxy.ServicePortName], full bool) error {
	err := b.sync(t, changed, full)
	if err != nil {
		syncFailures.WithLabelValues(string(b.cfg.family.ipFamily)).Inc()
	}
	return err
}

func (b *Backend) sync(t *proxy.Table, changed sets.Set[proxy.ServicePortName], full bool) error {
	// New primary node IPs change the nodeport-addrs set, which full syncs
	// reconcile.
	if b.cfg.nodePorts.take(t.Node.PrimaryIPs) || b.st == nil {
		full = true
	}
	ctx := context.TODO()
	start := time.Now()
	var next *state
	tx := newTxn(b.nft.NewTransaction())
	if full {
		kernel, err := readKernel(ctx, b.nft, &b.cfg)
		if err != nil {
			b.st = nil
			return err
		}
		next = b.planFull(tx, t, kernel)
	} else {
		next = b.st.planChanges(tx, &b.cfg, t, changed)
	}
	ops := tx.numOperations()
	if ops > 0 {
		if err := b.run(ctx, tx); err != nil {
			b.st = nil
			return fmt.Errorf("nftables %s transaction (%d operations): %w", b.cfg.family.nft, ops, err)
		}
	}
	b.st = next
	b.deleteStale(ctx)
	klog.V(4).InfoS("Applied nftables changes", "family", b.cfg.family.nft, "full", full, "operations", ops, "took", time.Since(start))
	return nil
}

func (b *Backend) run(ctx context.Context, tx *txn) error {
	if b.grouped != nil {
		return b.grouped.run(ctx, tx)
	}
	return runPerElement(ctx, b.nft, tx)
}

// planFull rewrites the fixed objects and every service port's chains,
// and reconciles the shared maps and sets with what the kernel holds.
func (b *Backend) planFull(tx *txn, t *proxy.Table, kernel *kernelView) *state {
	next := newState(len(t.Services))
	b.cfg.writeFixed(tx.tx)
	// In name order: slots are allocated as the ports come, and the same
	// table must give the same rules.
	for _, name := range sortedNames(sets.KeySet(t.Services)) {
		if bd := b.cfg.render(t, name, next.alloc, nil); !bd.empty() {
			next.claim(name, bd)
		}
	}
	next.fixed = b.cfg.fixedElems()
	next.writeAll(tx, &b.cfg, kernel)
	return next
}

// deleteStale deletes, in a transaction of its own, the chains and sets
// the last one emptied and unlinked: the kernel refuses to delete a chain
// in the transaction that also deletes the last map element jumping to it.
// A failure leaves them for the next sync to retry.
func (b *Backend) deleteStale(ctx context.Context) {
	if len(b.st.staleChains) == 0 && len(b.st.staleSets) == 0 {
		return
	}
	tx := b.nft.NewTransaction()
	for _, c := range sets.List(b.st.staleChains) {
		tx.Delete(&knftables.Chain{Name: c})
	}
	for _, s := range sets.List(b.st.staleSets) {
		tx.Delete(&knftables.Set{Name: s})
	}
	if err := b.nft.Run(ctx, tx); err != nil {
		cleanupFailures.WithLabelValues(string(b.cfg.family.ipFamily)).Inc()
		klog.ErrorS(err, "Deleting unused nftables chains failed; retrying on the next sync", "family", b.cfg.family.nft, "chains", b.st.staleChains.Len(), "sets", b.st.staleSets.Len())
		return
	}
	b.st.staleChains.Clear()
	b.st.staleSets.Clear()
}
