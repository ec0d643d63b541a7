package iptables

import "sync"

// Intact implements proxy.Verifier: every hook is still in its built-in
// chain. It lists only the hooked built-in chains (one exec each, in
// parallel), never nodenet's own large chains.
func (b *Backend) Intact() (bool, error) {
	var mu sync.Mutex
	missing := 0
	var listings []chainListing
	for table, chains := range hookedChains() {
		for chain, hs := range chains {
			listings = append(listings, chainListing{table, chain, func(rules []string) {
				for _, h := range hs {
					if !hasRule(rules, h) {
						missing++
					}
				}
			}})
		}
	}
	if err := b.listAll(listings, &mu); err != nil {
		return false, err
	}
	return missing == 0, nil
}
