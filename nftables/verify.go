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
// into nodenet's maps still hold as many rules as nodenet wrote. It counts
// only those small chains, one netlink dump each (rulecount.go: not `nft
// list chain`, which loads the whole table), never the service chains or
// maps. One after the other on the calling goroutine: a socket opened on
// another thread could be in another network namespace (tests switch one
// thread only).
func (b *Backend) Intact() (bool, error) {
	want := b.cfg.fixedRules()
	for _, name := range verifiedChains {
		n, err := b.rules.CountRules(context.TODO(), name)
		switch {
		case notFound(err):
			return false, nil
		case err != nil:
			return false, err
		case n != len(want[name]):
			return false, nil
		}
	}
	return true, nil
}
