package nftables

import (
	"context"
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
// only those small chains (one nft exec each, ~3 ms; the proxier calls it
// at most once per sync period), never the service chains or maps. One
// after the other on the calling goroutine: an exec from another thread
// could run in another network namespace (tests switch one thread only).
func (b *Backend) Intact() (bool, error) {
	want := b.cfg.fixedRules()
	for _, name := range verifiedChains {
		rules, err := b.nft.ListRules(context.TODO(), name)
		switch {
		case notFound(err):
			return false, nil
		case err != nil:
			return false, err
		case len(rules) != len(want[name]):
			return false, nil
		}
	}
	return true, nil
}
