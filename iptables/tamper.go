package iptables

import (
	"context"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/internal/tamper"
	"github.com/nodenet/nodenet/internal/tamper/nfwatch"
	"github.com/nodenet/nodenet/proxy"
)

// Tampering. With iptables-nft every change is an nf_tables transaction
// the kernel announces (internal/tamper/nfwatch); the backend keeps those made
// by someone else to its own chains, and to the built-in chains it hooks,
// and the next sync repairs them without a full sync:
//
//   - a shard chain changed (flushed, a rule deleted or added): that shard
//     is rewritten, one chain of ~40 rules at 10k Services;
//   - a fixed chain changed (dispatch, masquerade, hairpin, forward):
//     the fixed chains and the dispatch are rewritten;
//   - a hooked built-in chain changed: the hooks are listed (one exec per
//     chain, in parallel) and only a missing hook, or one below a foreign
//     rule that ends the traversal (an ACCEPT above the DNAT), is put back.
//     Another program's rule next to ours changes nothing.
//   - one of our chains or a whole table deleted: a full sync.
//
// iptables-legacy makes no announcements: there the hooks are still checked
// once per sync period (Intact) and the rest waits for the hourly full sync.

// tamperState is what the watcher recorded since the last sync took it.
type tamperState struct {
	mu    sync.Mutex
	found tamperFound
}

type tamperFound struct {
	shards  sets.Set[shardID]
	fixed   bool // a fixed chain changed
	builtin bool // a hooked built-in chain changed
	deleted bool // a chain or table of ours deleted
	lost    bool // announcements lost: check the hooks
	legacy  bool // the legacy nat table changed (legacywatch.go)
	changes []string
	by      string
}

// repairPlan is what TakeTampering found and the next Sync writes.
type repairPlan struct {
	full   bool
	shards []shardID
	fixed  bool
	hooks  []hook // missing or misplaced
	moved  []hook // of hooks, those to delete first (misplaced)
	hookAt map[string]int
}

// WatchTampering implements proxy.TamperWatcher.
func (b *Backend) WatchTampering(ctx context.Context, poke func()) {
	if b.legacy.Load() {
		b.watchLegacy(ctx, poke)
		return
	}
	nfwatch.Watch(ctx, b.watches, func(r nfwatch.Report) {
		b.tamper.record(r)
		poke()
	})
}

// nftFamily is the nf_tables family iptables-nft keeps this family's
// tables in.
func (f family) nftFamily() string {
	if f.is4() {
		return "ip"
	}
	return "ip6"
}

// watches selects the changes that may have undone this backend's rules.
func (b *Backend) watches(c nfwatch.Change) bool {
	if c.Family != b.cfg.family.nftFamily() || (c.Table != tableNAT && c.Table != tableFilter) || c.Set != "" {
		return false
	}
	if c.Chain == "" {
		return c.Verb == "table deleted"
	}
	return classifyChain(c.Table, c.Chain) != otherChain
}

type chainKind int

const (
	otherChain chainKind = iota
	shardChain
	fixedChain
	builtinChain
)

func classifyChain(table, chain string) chainKind {
	if _, ok := parseShardChain(chain); ok {
		return shardChain
	}
	if slices.Contains(fixedChains, chain) || chain == filterServices || chain == filterNodePorts {
		return fixedChain
	}
	if _, ok := hookedChains()[table][chain]; ok {
		return builtinChain
	}
	return otherChain
}

func (t *tamperState) record(r nfwatch.Report) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &t.found
	if r.Lost {
		s.lost = true
		return
	}
	s.by = r.By
	for _, c := range r.Changes {
		if len(s.changes) < 8 {
			s.changes = append(s.changes, c.String())
		}
		if c.Chain == "" || (c.Verb == "chain deleted" && classifyChain(c.Table, c.Chain) != builtinChain) {
			s.deleted = true
			continue
		}
		switch classifyChain(c.Table, c.Chain) {
		case shardChain:
			sh, _ := parseShardChain(c.Chain)
			if s.shards == nil {
				s.shards = sets.New[shardID]()
			}
			s.shards.Insert(sh)
		case fixedChain:
			s.fixed = true
		case builtinChain:
			s.builtin = true
		}
	}
}

func (t *tamperState) recordLegacy() {
	t.mu.Lock()
	t.found.legacy = true
	t.mu.Unlock()
}

func (t *tamperState) take() tamperFound {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.found
	t.found = tamperFound{}
	return out
}

// TakeTampering implements proxy.TamperWatcher.
func (b *Backend) TakeTampering() (proxy.Tampering, error) {
	st := b.tamper.take()
	if b.inKernel == nil {
		return proxy.Tampering{}, nil // the next sync is full anyway
	}
	r := &repairPlan{full: st.deleted, shards: st.shards.UnsortedList(), fixed: st.fixed}
	var kinds []string
	if st.deleted {
		kinds = append(kinds, tamper.Table)
	}
	if st.fixed || len(st.shards) > 0 {
		kinds = append(kinds, tamper.Chain)
	}
	if st.builtin || st.lost {
		hooks, moved, at, err := b.readHooks()
		if err != nil {
			return proxy.Tampering{}, err
		}
		r.hooks, r.moved, r.hookAt = hooks, moved, at
		if len(hooks) > 0 {
			kinds = append(kinds, tamper.Hook)
		}
	}
	if st.legacy {
		// Checked again here: the tick may have seen an own restore half
		// done. Legacy cannot tell which chain changed: full sync.
		if what := b.legacyChanged(); what != "" {
			r.full = true
			kinds, st.changes = append(kinds, tamper.Chain), append(st.changes, what)
		}
	}
	if len(kinds) == 0 {
		return proxy.Tampering{}, nil
	}
	if st.lost && len(st.changes) == 0 {
		kinds, st.changes = []string{tamper.Lost}, []string{"change notifications lost; a hook was missing"}
	}
	b.repair = r
	return proxy.Tampering{Surface: "proxy-" + strings.ToLower(string(b.cfg.family.ipFamily)), Kinds: kinds, Changes: st.changes, By: st.by}, nil
}

// readHooks lists the hooked built-in chains: the hooks missing, those
// below a foreign rule that ends the traversal (moved: deleted, then
// inserted again), and where to insert them.
func (b *Backend) readHooks() (hooks, moved []hook, at map[string]int, err error) {
	var mu sync.Mutex
	at = map[string]int{}
	var listings []chainListing
	for table, chains := range hookedChains() {
		for chain, hs := range chains {
			listings = append(listings, chainListing{table, chain, func(rules []string) {
				at[table+" "+chain] = hookPosition(table, chain, rules)
				for _, h := range hs {
					switch {
					case !hasRule(rules, h):
						hooks = append(hooks, h)
					case bypassed(rules, h):
						hooks, moved = append(hooks, h), append(moved, h)
					}
				}
			}})
		}
	}
	if err := b.listAll(listings, &mu); err != nil {
		return nil, nil, nil, err
	}
	return inHookOrder(hooks), inHookOrder(moved), at, nil
}

// traversalEnders are targets that end a packet's way through a built-in
// chain: one above a hook skips nodenet for the packets it matches. A
// jump to another program's chain (Docker, Calico) is not one, so nodenet
// never fights over the first place with a program that inserts its own
// jump first.
var traversalEnders = []string{"ACCEPT", "DROP", "REJECT", "RETURN", "DNAT", "SNAT", "MASQUERADE", "REDIRECT"}

// bypassed tells whether a foreign rule above h ends the traversal. filter
// FORWARD is left to the firewall's own check (its hook must be first;
// the proxy's rules there only accept and reject Service traffic).
func bypassed(rules []string, h hook) bool {
	if h.table == tableFilter && h.chain == "FORWARD" {
		return false
	}
	want := "-A " + h.chain + " " + h.spec()
	for _, r := range appendLines(rules) {
		if r == want {
			return false
		}
		if strings.Contains(r, chainPrefix) {
			continue // another of nodenet's rules
		}
		f := strings.Fields(r)
		if i := slices.Index(f, "-j"); i >= 0 && i+1 < len(f) && slices.Contains(traversalEnders, f[i+1]) {
			return true
		}
	}
	return false
}

func appendLines(rules []string) []string {
	var out []string
	for _, r := range rules {
		if r = strings.TrimSpace(r); strings.HasPrefix(r, "-A ") {
			out = append(out, r)
		}
	}
	return out
}

// addRepair adds what someone else changed to a partial sync's plan: the
// tampered shards, the fixed chains and dispatch, the hooks.
func (b *Backend) addRepair(t *proxy.Table, p *plan, r *repairPlan) {
	if r == nil {
		return
	}
	if len(r.shards) > 0 {
		dirty := sets.New(p.shards...)
		dirty.Insert(r.shards...)
		repaired := b.cfg.newPlan(t, b.index, p.before, dirty, false)
		p.shards, p.rules, p.after = repaired.shards, repaired.rules, repaired.after
	}
	if r.fixed {
		p.repairFixed = true
		p.hairpin, p.writeHairpin = b.index.hairpinAddrs(), true
	}
	p.hooks, p.moved, p.hookAt = r.hooks, r.moved, r.hookAt
}
