package nftables

import (
	"context"
	"sync"
)

// verifiedChains are the fixed chains Intact checks: the hooked base
// chains and the dispatch chains behind them. Someone flushing one (`nft
// flush ruleset` by a firewall reload, a mistaken `nft flush chain`)
// would leave Services down until the next full sync.
var verifiedChains = []string{
	chainNATPrerouting, chainNATOutput, chainNATPostrouting,
	chainFilterPrerouting, chainFilterInput, chainFilterForward, chainFilterOutput, chainFilterOutputPostDNAT,
	chainServices, chainEndpointsCheck, chainMasquerading,
}

// Intact implements proxy.Verifier: the fixed chains that carry traffic
// into nodenet's maps still hold as many rules as nodenet wrote. It lists
// only those small chains (one nft exec each, in parallel), never the
// service chains or maps.
func (b *Backend) Intact() (bool, error) {
	want := b.cfg.fixedRules()
	var mu sync.Mutex
	var wg sync.WaitGroup
	intact := true
	var firstErr error
	for _, name := range verifiedChains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rules, err := b.nft.ListRules(context.TODO(), name)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case notFound(err):
				intact = false
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			case len(rules) != len(want[name]):
				intact = false
			}
		}()
	}
	wg.Wait()
	return intact, firstErr
}
