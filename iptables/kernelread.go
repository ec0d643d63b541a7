package iptables

import (
	"fmt"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/sets"
)

// kernelView is what a full sync must know about the kernel before it
// writes: which shard chains exist (to delete leftovers) and which hook
// rules are missing (to insert them in the same restore).
type kernelView struct {
	chains       *chainSet
	missingHooks []hook
	hookAt       map[string]int // "table chain" -> insert position (hookpos.go)
}

// chainListing is one chain to read, and what to do with its rules.
type chainListing struct {
	table, chain string
	use          func([]string)
}

// readKernel lists the dispatch chains and the hooked built-in chains.
// Each listing is one exec of ~10 ms, so they run in parallel; listing a
// chain is far cheaper than iptables-save of a table with 100k rules.
func (b *Backend) readKernel() (*kernelView, error) {
	v := &kernelView{chains: newChainSet(), hookAt: map[string]int{}}
	var mu sync.Mutex
	var listings []chainListing
	for _, d := range []struct {
		table, chain string
		into         sets.Set[shardID]
	}{
		{tableNAT, natServices, v.chains.nat}, {tableNAT, natNodePorts, v.chains.nat},
		{tableFilter, filterServices, v.chains.filter}, {tableFilter, filterNodePorts, v.chains.filter},
	} {
		into := d.into
		listings = append(listings, chainListing{d.table, d.chain, func(rules []string) {
			for _, r := range rules {
				if s, ok := parseShardJump(r); ok {
					into.Insert(s)
				}
			}
		}})
	}
	for table, chains := range hookedChains() {
		for chain, hs := range chains {
			listings = append(listings, chainListing{table, chain, func(rules []string) {
				v.hookAt[table+" "+chain] = hookPosition(table, chain, rules)
				for _, h := range hs {
					if !hasRule(rules, h) {
						v.missingHooks = append(v.missingHooks, h)
					}
				}
			}})
		}
	}
	if err := b.listAll(listings, &mu); err != nil {
		return nil, err
	}
	v.missingHooks = inHookOrder(v.missingHooks)
	return v, nil
}

// inHookOrder sorts hooks as hooks() lists them: the listings finish in
// any order, and the payload must not depend on it.
func inHookOrder(missing []hook) []hook {
	want := map[string]bool{}
	for _, h := range missing {
		want[h.table+" "+h.chain+" "+h.spec()] = true
	}
	var out []hook
	for _, h := range hooks() {
		if want[h.table+" "+h.chain+" "+h.spec()] {
			out = append(out, h)
		}
	}
	return out
}

func (b *Backend) listAll(listings []chainListing, mu *sync.Mutex) error {
	errs := make([]error, len(listings))
	var wg sync.WaitGroup
	for i, l := range listings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rules, err := b.kernel.ListRules(l.table, l.chain)
			if err != nil {
				errs[i] = fmt.Errorf("list %s %s: %w", l.table, l.chain, err)
				return
			}
			mu.Lock()
			l.use(rules)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// hookedChains groups the hooks by table and built-in chain.
func hookedChains() map[string]map[string][]hook {
	out := map[string]map[string][]hook{}
	for _, h := range hooks() {
		if out[h.table] == nil {
			out[h.table] = map[string][]hook{}
		}
		out[h.table][h.chain] = append(out[h.table][h.chain], h)
	}
	return out
}

// hasRule tells whether `-S` output holds the hook: iptables prints the
// comment quoted, so compare with the hook rendered the same way.
func hasRule(rules []string, h hook) bool {
	want := "-A " + h.chain + " " + h.spec()
	for _, r := range rules {
		if strings.TrimSpace(r) == want {
			return true
		}
	}
	return false
}
