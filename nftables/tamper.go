package nftables

import (
	"context"
	"sync"

	"github.com/nodenet/nodenet/internal/tamper"
	"github.com/nodenet/nodenet/internal/tamper/nfwatch"
	"github.com/nodenet/nodenet/proxy"
)

// Tampering. Every change to nodenet's table is an nf_tables transaction
// the kernel announces (internal/tamper/nfwatch). knftables runs `nft`
// itself, so an own transaction is only recognised while that child is
// alive; the rest are checked rather than trusted: after a reported
// change the next sync asks Intact (the hooked base chains and dispatch
// chains still hold as many rules as written) and repairs with a full
// sync only when they do not. So an own write never triggers a repair,
// and a foreign flush of a base or dispatch chain is repaired within the
// min sync period instead of the sync period. A foreign change to one
// Service's chain or map is not seen (the hourly full sync repairs it).

// tamperReports are the changes reported since the last sync took them.
type tamperReports struct {
	mu      sync.Mutex
	changes []string
	by      string
}

// WatchTampering implements proxy.TamperWatcher.
func (b *Backend) WatchTampering(ctx context.Context, poke func()) {
	nfwatch.Watch(ctx, b.watches, func(r nfwatch.Report) {
		b.reports.mu.Lock()
		if r.Lost {
			b.reports.changes = append(b.reports.changes, r.String())
		}
		for _, c := range r.Changes {
			if len(b.reports.changes) < 8 {
				b.reports.changes = append(b.reports.changes, c.String())
			}
		}
		b.reports.by = r.By
		b.reports.mu.Unlock()
		poke()
	})
}

// watches selects changes to nodenet's table of this family.
func (b *Backend) watches(c nfwatch.Change) bool {
	return c.Table == TableName && c.Family == string(b.cfg.family.nft)
}

// TakeTampering implements proxy.TamperWatcher.
func (b *Backend) TakeTampering() (proxy.Tampering, error) {
	b.reports.mu.Lock()
	changes, by := b.reports.changes, b.reports.by
	b.reports.changes, b.reports.by = nil, ""
	b.reports.mu.Unlock()
	if len(changes) == 0 || b.st == nil {
		return proxy.Tampering{}, nil
	}
	intact, err := b.Intact()
	if err != nil || intact {
		return proxy.Tampering{}, err
	}
	b.st = nil // the next Sync is full
	return proxy.Tampering{Surface: "proxy-nftables-" + string(b.cfg.family.nft), Kinds: []string{tamper.Chain}, Changes: changes, By: by}, nil
}
