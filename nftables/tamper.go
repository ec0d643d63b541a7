package nftables

import (
	"context"
	"sort"
	"sync"

	"github.com/nodenet/nodenet/internal/tamper"
	"github.com/nodenet/nodenet/internal/tamper/nfwatch"
	"github.com/nodenet/nodenet/proxy"
)

// Tampering. Every change to nodenet's table is an nf_tables transaction
// the kernel announces (internal/tamper/nfwatch), naming each chain and
// each set or map it touched (element changes included). knftables runs
// `nft` itself, so an own transaction is only recognised while that child
// is alive; the rest are checked rather than trusted. At the next sync
// TakeTampering checks each named object against the backend's memory of
// what it wrote (repair.go: a chain's rule count, a map's or set's
// elements) and rewrites only the objects that differ, in one
// transaction: a flushed Service chain or a deleted map element at 10k
// Services costs one chain or one map listing, not a full sync. An own
// transaction taken for someone else's finds everything as written.
//
// What names no object, or too many to trust the names (a deleted table,
// announcements lost, a transaction touching more than nfwatch reports),
// falls back to Intact (the hooked base chains and dispatch chains) and a
// full sync when they are broken; the named objects are still checked.

// maxSuspects bounds the objects remembered between two syncs; beyond it
// the fixed chains are checked (Intact) instead of every name.
const maxSuspects = 1024

// tamperReports are the changes reported since the last sync took them.
type tamperReports struct {
	mu         sync.Mutex
	changes    []string
	by         string
	chains     map[string]bool // chains named by the reports
	containers map[string]bool // sets and maps named by the reports
	broad      bool            // something changed that names no object: check Intact
}

// add records one report.
func (t *tamperReports) add(r nfwatch.Report) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.chains == nil {
		t.chains, t.containers = map[string]bool{}, map[string]bool{}
	}
	if r.Lost || r.Truncated {
		t.broad = true
		if r.Lost {
			t.changes = append(t.changes, r.String())
		}
	}
	for _, c := range r.Changes {
		if len(t.changes) < 8 {
			t.changes = append(t.changes, c.String())
		}
		switch {
		case len(t.chains)+len(t.containers) >= maxSuspects:
			t.broad = true
		case c.Set != "":
			t.containers[c.Set] = true
		case c.Chain != "":
			t.chains[c.Chain] = true
		default:
			t.broad = true // the table itself
		}
	}
	t.by = r.By
}

// suspects are the reports taken by one sync.
type suspects struct {
	changes            []string
	by                 string
	chains, containers []string
	broad              bool
}

func (t *tamperReports) take() suspects {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := suspects{changes: t.changes, by: t.by, broad: t.broad,
		chains: sortedKeys(t.chains), containers: sortedKeys(t.containers)}
	t.changes, t.by, t.chains, t.containers, t.broad = nil, "", nil, nil, false
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// WatchTampering implements proxy.TamperWatcher.
func (b *Backend) WatchTampering(ctx context.Context, poke func()) {
	nfwatch.Watch(ctx, b.watches, func(r nfwatch.Report) {
		b.reports.add(r)
		poke()
	})
}

// watches selects changes to nodenet's table of this family.
func (b *Backend) watches(c nfwatch.Change) bool {
	return c.Table == TableName && c.Family == string(b.cfg.family.nft)
}

// TakeTampering implements proxy.TamperWatcher. It runs on the sync
// goroutine, before Sync: named objects that differ from what was written
// are rewritten here, at once; broken fixed chains make the next Sync
// full.
func (b *Backend) TakeTampering() (proxy.Tampering, error) {
	s := b.reports.take()
	if len(s.changes) == 0 || b.st == nil {
		return proxy.Tampering{}, nil
	}
	found := proxy.Tampering{Surface: "proxy-nftables-" + string(b.cfg.family.nft), By: s.by}
	if s.broad {
		intact, err := b.Intact()
		if err != nil {
			return proxy.Tampering{}, err
		}
		if !intact {
			b.st = nil // the next Sync is full
			found.Kinds, found.Changes = []string{tamper.Chain}, s.changes
			return found, nil
		}
	}
	fixed, err := b.repairObjects(s.chains, s.containers)
	if err != nil {
		b.st = nil // the repair failed: the next Sync is full
		return proxy.Tampering{}, err
	}
	kinds := map[string]bool{}
	for _, f := range fixed {
		found.Changes = append(found.Changes, f.what)
		if !kinds[f.kind] {
			kinds[f.kind] = true
			found.Kinds = append(found.Kinds, f.kind)
		}
	}
	return found, nil
}
