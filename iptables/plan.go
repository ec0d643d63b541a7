package iptables

import (
	"bytes"
	"net/netip"
	"strconv"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy"
)

// plan is one sync's worth of rules, computed purely, written in one
// atomic iptables-restore.
type plan struct {
	cfg    *config
	full   bool
	shards []shardID // dirty shards, sorted
	rules  map[shardID]shardRules
	before *chainSet      // shard chains in the kernel before this apply
	after  *chainSet      // and after it
	hooks  []hook         // hook rules missing from the built-in chains
	hookAt map[string]int // where to insert them, by "table chain" (hookpos.go); absent: 1
	moved  []hook         // of hooks, those below a foreign rule: deleted before the insert
	// repairFixed rewrites the fixed chains and the dispatch in a
	// partial sync, after someone else changed them (tamper.go).
	repairFixed bool
	// writeHairpin asks to rewrite the hairpin chain with these addresses.
	writeHairpin bool
	hairpin      []netip.Addr
}

func (c *config) newPlan(t *proxy.Table, ix *index, before *chainSet, dirty sets.Set[shardID], full bool) *plan {
	p := &plan{cfg: c, full: full, shards: dirty.UnsortedList(), rules: map[shardID]shardRules{}, before: before, after: before.clone()}
	sortShards(p.shards)
	var scratch shardRules
	for _, s := range p.shards {
		r := c.renderShard(s, ix.sortedMembers(s), t, &scratch)
		p.rules[s] = r
		setPresence(p.after.nat, s, r.nat.n > 0)
		setPresence(p.after.filter, s, r.filter.n > 0)
	}
	return p
}

func setPresence(set sets.Set[shardID], s shardID, present bool) {
	if present {
		set.Insert(s)
	} else {
		set.Delete(s)
	}
}

// payload renders the plan in iptables-restore --noflush format. Declaring
// a chain flushes it, so each rewritten chain is declared, refilled, and
// chains left empty are declared (flushed) and deleted after the dispatch
// rules that referenced them are gone.
func (p *plan) payload() []byte {
	var b bytes.Buffer
	// Sized up front: at 10k Services the payload is ~15 MB, and growing
	// by doubling would briefly hold twice that.
	b.Grow(p.size())
	p.writeTable(&b, tableNAT, p.natSide())
	p.writeTable(&b, tableFilter, p.filterSide())
	return b.Bytes()
}

// side is what one table needs from the plan.
type side struct {
	static          []string // fixed chains' rules, written on full syncs
	staticChains    []string
	hairpinChain    string   // the table's hairpin chain, "" if none
	hairpin         []string // the hairpin chain's rules, when rewritten
	services, ports string   // dispatch chains
	before, after   sets.Set[shardID]
	chainOf         func(shardID) string
	rulesOf         func(shardRules) ruleLines
}

func (p *plan) natSide() side {
	return side{
		static: p.cfg.staticNAT(), staticChains: []string{natPostrouting, natHairpin},
		hairpinChain: natHairpin, hairpin: p.hairpinRules(),
		services: natServices, ports: natNodePorts,
		before: p.before.nat, after: p.after.nat,
		chainOf: shardID.natChain, rulesOf: func(r shardRules) ruleLines { return r.nat },
	}
}

func (p *plan) filterSide() side {
	return side{
		static: p.cfg.staticFilter(), staticChains: []string{filterForward},
		services: filterServices, ports: filterNodePorts,
		before: p.before.filter, after: p.after.filter,
		chainOf: shardID.filterChain, rulesOf: func(r shardRules) ruleLines { return r.filter },
	}
}

func (p *plan) writeTable(b *bytes.Buffer, table string, s side) {
	rewriteDispatch := p.full || p.repairFixed || !s.before.Equal(s.after)
	rewriteHairpin := p.writeHairpin && s.hairpinChain != ""
	if !rewriteDispatch && !rewriteHairpin && !p.touches(s) && !p.hooksIn(table) {
		return
	}
	b.WriteString("*" + table + "\n")
	removed := p.writeDeclarations(b, s, rewriteDispatch, rewriteHairpin)
	if p.full || p.repairFixed {
		writeLines(b, s.static)
	}
	writeLines(b, s.hairpin)
	if rewriteDispatch {
		writeLines(b, p.cfg.dispatch(s.services, s.ports, s.after.UnsortedList(), s.chainOf))
	}
	for _, sh := range p.shards {
		b.Write(s.rulesOf(p.rules[sh]).buf)
	}
	// Hooks go in last, once the chains they jump to exist, and in the same
	// transaction, so no packet ever sees a jump to a missing chain.
	for _, h := range p.moved {
		if h.table == table {
			b.WriteString("-D " + h.chain + " " + h.spec() + "\n")
		}
	}
	for _, h := range p.hooks {
		if h.table == table {
			b.WriteString("-I " + h.chain + " " + strconv.Itoa(max(p.hookAt[table+" "+h.chain], 1)) + " " + h.spec() + "\n")
		}
	}
	for _, c := range removed {
		b.WriteString("-X " + c + "\n")
	}
	b.WriteString("COMMIT\n")
}

// writeDeclarations declares (and so flushes) every chain this apply
// rewrites, and returns the shard chains to delete once nothing jumps to
// them any more.
func (p *plan) writeDeclarations(b *bytes.Buffer, s side, dispatch, hairpin bool) []string {
	switch {
	case p.full || p.repairFixed:
		for _, c := range s.staticChains {
			declare(b, c)
		}
	case hairpin:
		declare(b, s.hairpinChain)
	}
	if dispatch {
		declare(b, s.services)
		declare(b, s.ports)
	}
	var removed []string
	for _, sh := range p.shards {
		if s.after.Has(sh) || s.before.Has(sh) {
			declare(b, s.chainOf(sh))
		}
		if s.before.Has(sh) && !s.after.Has(sh) {
			removed = append(removed, s.chainOf(sh))
		}
	}
	return removed
}

// hairpinRules masquerade a local endpoint's connection to its own
// Service when it lands back on itself: without it the reply would come
// from the pod's own address and the pod would drop it. Only local
// endpoints can hairpin here, so the chain holds this node's pods (~100),
// not the cluster's endpoints.
func (p *plan) hairpinRules() []string {
	if !p.writeHairpin {
		return nil
	}
	out := make([]string, 0, len(p.hairpin))
	for _, a := range p.hairpin {
		h := p.cfg.family.host(a)
		out = append(out, "-A "+natHairpin+" -s "+h+" -d "+h+" -j MASQUERADE")
	}
	return out
}

// hooksIn tells whether hooks are to be put back in table.
func (p *plan) hooksIn(table string) bool {
	for _, h := range p.hooks {
		if h.table == table {
			return true
		}
	}
	return false
}

// touches tells whether any dirty shard has, or had, a chain in s.
func (p *plan) touches(s side) bool {
	for _, sh := range p.shards {
		if s.before.Has(sh) || s.after.Has(sh) {
			return true
		}
	}
	return false
}

func declare(b *bytes.Buffer, chain string) { b.WriteString(":" + chain + " - [0:0]\n") }

func writeLines(b *bytes.Buffer, lines []string) {
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
}

// size estimates the payload's length: the shard rules plus room for the
// declarations, dispatch and fixed rules.
func (p *plan) size() int {
	n := 64 << 10
	for _, r := range p.rules {
		n += len(r.nat.buf) + len(r.filter.buf)
	}
	return n
}

func (p *plan) lines() int {
	n := 0
	for _, r := range p.rules {
		n += r.nat.n + r.filter.n
	}
	return n
}
