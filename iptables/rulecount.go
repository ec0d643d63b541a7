package iptables

import (
	"bytes"
)

// ruleCounts are the rules nodenet owns in each table, kept for
// kube-proxy's sync_proxy_rules_iptables_total: the shard chains' rules
// (only the dirty shards are rendered in a partial sync, so each shard's
// count is remembered) plus those of the fixed and dispatch chains,
// recounted after each sync. As in kube-proxy, the jumps from the
// built-in chains (hooks) are not counted.
type ruleCounts struct {
	shards map[shardID]tableCounts
	// total is what the gauge was last set to.
	total tableCounts
}

// tableCounts are counts in the nat and the filter table.
type tableCounts struct{ nat, filter int }

// shardCounts are the rules each shard of p holds; taken before the
// plan's rules are released for the restore (backend.go).
func (p *plan) shardCounts() map[shardID]tableCounts {
	counts := make(map[shardID]tableCounts, len(p.shards))
	for _, s := range p.shards {
		r := p.rules[s]
		counts[s] = tableCounts{nat: r.nat.n, filter: r.filter.n}
	}
	return counts
}

// update records the shard rules a successful apply wrote; a full apply
// rewrote every shard, so it starts afresh.
func (rc *ruleCounts) update(full bool, shards map[shardID]tableCounts) {
	if rc.shards == nil || full {
		rc.shards = map[shardID]tableCounts{}
	}
	for s, c := range shards {
		if c.nat+c.filter == 0 {
			delete(rc.shards, s)
			continue
		}
		rc.shards[s] = c
	}
}

// totals adds the fixed and dispatch chains' rules of the kernel state
// after p to the shards'.
func (rc *ruleCounts) totals(p *plan, hairpin int) tableCounts {
	t := tableCounts{
		nat: len(p.cfg.staticNAT()) + hairpin +
			len(p.cfg.dispatch(natServices, natNodePorts, p.after.nat.UnsortedList(), shardID.natChain)),
		filter: len(p.cfg.staticFilter()) +
			len(p.cfg.dispatch(filterServices, filterNodePorts, p.after.filter.UnsortedList(), shardID.filterChain)),
	}
	for _, c := range rc.shards {
		t.nat += c.nat
		t.filter += c.filter
	}
	return t
}

// writtenRules counts the rules an iptables-restore payload appends to
// nodenet's chains, per table: kube-proxy's sync_proxy_rules_iptables_last.
func writtenRules(payload []byte) tableCounts {
	var c tableCounts
	var n *int
	for len(payload) > 0 {
		line := payload
		if i := bytes.IndexByte(payload, '\n'); i >= 0 {
			line, payload = payload[:i], payload[i+1:]
		} else {
			payload = nil
		}
		switch {
		case bytes.Equal(line, []byte("*"+tableNAT)):
			n = &c.nat
		case bytes.Equal(line, []byte("*"+tableFilter)):
			n = &c.filter
		case n != nil && bytes.HasPrefix(line, []byte("-A ")): // "-I": a hook, not counted
			*n++
		}
	}
	return c
}

// reportRuleCounts sets the rule-count gauges after a successful apply.
func (b *Backend) reportRuleCounts(p *plan, shards map[shardID]tableCounts, payload []byte) {
	b.ruleCounts.update(p.full, shards)
	family := string(b.cfg.family.ipFamily)
	total := b.ruleCounts.totals(p, len(b.index.hairpinAddrs()))
	b.ruleCounts.total = total
	rulesTotal.WithLabelValues(tableNAT, family).Set(float64(total.nat))
	rulesTotal.WithLabelValues(tableFilter, family).Set(float64(total.filter))
	written := writtenRules(payload)
	rulesLastSync.WithLabelValues(tableNAT, family).Set(float64(written.nat))
	rulesLastSync.WithLabelValues(tableFilter, family).Set(float64(written.filter))
}
