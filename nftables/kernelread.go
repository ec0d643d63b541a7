package nftables

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/internal/nftnotfound"
)

// kernelView is what a full sync reads of our table: the names of its
// chains and sets, and the elements of the shared maps and sets (never
// the rules: at 10k Services listing them is what makes kube-proxy's
// full syncs slow, kubernetes#139513).
type kernelView struct {
	chains, sets, maps sets.Set[string]
	elems              map[elemID]elem
}

// readKernel lists our table; a missing table reads as empty.
func readKernel(ctx context.Context, nft knftables.Interface, c *config) (*kernelView, error) {
	v := &kernelView{chains: sets.New[string](), sets: sets.New[string](), maps: sets.New[string](), elems: map[elemID]elem{}}
	chains, err := nft.List(ctx, "chains")
	if notFound(err) {
		return v, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list nftables chains: %w", err)
	}
	v.chains.Insert(chains...)
	names, err := nft.List(ctx, "sets")
	if err != nil && !notFound(err) {
		return nil, fmt.Errorf("list nftables sets: %w", err)
	}
	for _, n := range names {
		// Anonymous sets ("__set0": a rule's `{ a, b }`) belong to their
		// rule; netlink lists them, nft would not let us delete them.
		if !strings.HasPrefix(n, "__") {
			v.sets.Insert(n)
		}
	}
	mapList, err := nft.List(ctx, "maps")
	if err != nil && !notFound(err) {
		return nil, fmt.Errorf("list nftables maps: %w", err)
	}
	v.maps.Insert(mapList...)
	setNames, mapNames := c.containers()
	for _, m := range mapList {
		if isEndpointMap(m) {
			mapNames = append(mapNames, m)
		}
	}
	for _, kind := range []struct {
		typ   string
		names []string
	}{{"set", setNames}, {"map", mapNames}} {
		for _, name := range kind.names {
			els, err := nft.ListElements(ctx, kind.typ, name)
			if notFound(err) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("list nftables %s %s: %w", kind.typ, name, err)
			}
			for _, e := range els {
				v.elems[idOf(name, e.Key)] = elem{key: e.Key, value: e.Value}
			}
		}
	}
	return v, nil
}

// writeAll writes s (freshly claimed from the whole table) over what the
// kernel holds: every service chain is (re)filled, elements reconciled
// one by one (maps are never flushed, so a running connection's next
// packet never finds a gap), and what no service port claims any more
// is unlinked for deleteStale.
func (s *state) writeAll(t *txn, c *config, k *kernelView) {
	ops := newChainOps()
	wantedSets := sets.New[string]()
	for _, set := range c.tableSets() {
		wantedSets.Insert(set.Name)
	}
	for _, bd := range s.bundles {
		for name, d := range bd.sets {
			wantedSets.Insert(name)
			if !k.sets.Has(name) {
				ops.addSets[name] = d
			}
		}
		for name, rules := range bd.chains {
			if k.chains.Has(name) {
				ops.existing.Insert(name)
			} else {
				ops.addChains = append(ops.addChains, name)
			}
			ops.fill[name] = rules
		}
	}
	fixed := sets.New(fixedChainNames()...)
	for name := range k.chains {
		if _, wanted := ops.fill[name]; !wanted && !fixed.Has(name) {
			ops.unlink = append(ops.unlink, name)
		}
	}
	for name := range k.sets {
		if !wantedSets.Has(name) {
			ops.dropSets = append(ops.dropSets, name)
		}
	}
	s.epsMaps = sets.New[string]()
	for name := range k.maps {
		if isEndpointMap(name) {
			s.epsMaps.Insert(name)
		}
	}
	for _, bd := range s.bundles {
		for _, b := range bd.blocks {
			if !s.epsMaps.Has(b.shard) {
				ops.addMaps.Insert(b.shard)
				s.epsMaps.Insert(b.shard)
			}
		}
	}
	ops.writeDeclarations(t.tx, c)
	s.elems = k.elems
	if len(s.elems) == 0 {
		// A new node: the kernel has none of the ~100k elements yet.
		s.elems = make(map[elemID]elem, len(s.owners)+len(s.fixed))
	}
	s.writeElems(t, s.allIDs())
	ops.writeUnlinks(t, s)
}

// notFound tells a missing table, set or map (nftnotfound.Is).
func notFound(err error) bool { return nftnotfound.Is(err) }

// allIDs are the elements a full sync reconciles, sorted: those in the
// kernel, those claimed and the fixed ones (a slice, not a set: at 10k
// Services the set alone allocated ~20 MB).
func (s *state) allIDs() []elemID {
	all := make([]elemID, 0, len(s.owners)+len(s.elems))
	for id := range s.owners {
		all = append(all, id)
	}
	for id := range s.fixed {
		if _, claimed := s.owners[id]; !claimed {
			all = append(all, id)
		}
	}
	for id := range s.elems {
		_, claimed := s.owners[id]
		if _, fixed := s.fixed[id]; !claimed && !fixed {
			all = append(all, id)
		}
	}
	return sortIDs(all)
}
