package proxy

import (
	"context"

	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/internal/tamper"
)

// TamperWatcher is implemented by backends that learn from the kernel,
// within milliseconds, that someone else changed what they programmed
// (the iptables backend listens to nf_tables change notifications). It
// replaces waiting for the hourly full sync: the proxier runs the
// watcher, and the sync it pokes repairs.
type TamperWatcher interface {
	// WatchTampering runs until ctx is done and calls poke after each
	// change by someone else that may have undone the backend's rules.
	WatchTampering(ctx context.Context, poke func())
	// TakeTampering is called by every sync before Sync: what was
	// changed since the last call, checked against the kernel (a change
	// next to nodenet's rules, e.g. another program's rule in FORWARD,
	// needs no repair). The backend's next Sync repairs it, also when the
	// proxier has nothing else to write.
	TakeTampering() (Tampering, error)
}

// Tampering is what someone else changed, for the log line and the
// metric.
type Tampering struct {
	Surface string   // "proxy-ipv4"
	Kinds   []string // tamper.Hook, tamper.Chain, ... (the metric's label)
	Changes []string // each change, naming the chain
	By      string   // the process that made them, when known
}

// None tells that nothing needs repair.
func (t Tampering) None() bool { return len(t.Kinds) == 0 }

// WatchTampering runs every family's watcher.
func (f *FamilyBackends) WatchTampering(ctx context.Context, poke func()) {
	for _, fb := range f.families {
		if w, ok := fb.Backend.(TamperWatcher); ok {
			go w.WatchTampering(ctx, poke)
		}
	}
	<-ctx.Done()
}

// TakeTampering asks every family's watcher.
func (f *FamilyBackends) TakeTampering() ([]Tampering, error) {
	var out []Tampering
	for _, fb := range f.families {
		w, ok := fb.Backend.(TamperWatcher)
		if !ok {
			continue
		}
		t, err := w.TakeTampering()
		if err != nil {
			return out, err
		}
		if !t.None() {
			out = append(out, t)
		}
	}
	return out, nil
}

// multiTamperWatcher is FamilyBackends' side of the interface (several
// families, several reports).
type multiTamperWatcher interface {
	WatchTampering(ctx context.Context, poke func())
	TakeTampering() ([]Tampering, error)
}

func (p *Proxier) watchTampering(ctx context.Context) {
	switch w := p.backend.(type) {
	case TamperWatcher:
		w.WatchTampering(ctx, p.runner.Poke)
	case multiTamperWatcher:
		w.WatchTampering(ctx, p.runner.Poke)
	}
}

// takeTampering runs at the start of every sync: true when the backend
// has something to repair in this sync. Each repair is logged (naming the
// change) and counted (nodenet_tamper_repairs_total).
func (p *Proxier) takeTampering() bool {
	var found []Tampering
	var err error
	switch w := p.backend.(type) {
	case TamperWatcher:
		var t Tampering
		if t, err = w.TakeTampering(); !t.None() {
			found = append(found, t)
		}
	case multiTamperWatcher:
		found, err = w.TakeTampering()
	default:
		return false
	}
	if err != nil {
		klog.ErrorS(err, "Cannot check nodenet's rules after someone else changed the kernel's; repairing with a full sync")
		p.markNeedFull()
	}
	for _, t := range found {
		klog.InfoS("Someone else changed nodenet's Service rules; repairing", "surface", t.Surface,
			"what", t.Kinds, "changes", t.Changes, "by", t.By)
		for _, k := range t.Kinds {
			tamper.Repaired(t.Surface, k)
		}
	}
	return len(found) > 0 || err != nil
}
