package nftables

import (
	"context"
	"fmt"
	"slices"

	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/internal/tamper"
)

// Targeted repair: an object someone else changed is compared with the
// backend's memory of what it wrote (state: each service port's chains,
// every element it put in the shared maps and sets; the configuration's
// fixed chains) and, when it differs, rewritten alone. A chain is
// compared by its number of rules (one netlink listing of that chain): a
// flush, a deleted or an added rule changes it; a rule replaced in place
// is left for the hourly full sync. A map or set is compared element by
// element (one listing of that map), and only the differing elements are
// deleted and added, never the whole map flushed: a running connection's
// next packet never finds a gap.

// fix is one repaired object, for the log line and the metric.
type fix struct{ kind, what string }

// repairObjects checks the named chains and maps/sets and rewrites, in
// one transaction, those that differ from what was written.
func (b *Backend) repairObjects(chains, containers []string) ([]fix, error) {
	ctx := context.TODO()
	tx := b.nft.NewTransaction()
	var fixed []fix
	for _, name := range chains {
		f, err := b.repairChain(ctx, tx, name)
		if err != nil {
			return nil, err
		}
		if f != "" {
			fixed = append(fixed, fix{tamper.Chain, f})
		}
	}
	for _, name := range containers {
		f, err := b.repairContainer(ctx, tx, name)
		if err != nil {
			return nil, err
		}
		if f != "" {
			fixed = append(fixed, fix{tamper.Set, f})
		}
	}
	if tx.NumOperations() == 0 {
		return nil, nil
	}
	if err := b.nft.Run(ctx, tx); err != nil {
		return nil, fmt.Errorf("nftables %s repair of %d object(s): %w", b.cfg.family.nft, len(fixed), err)
	}
	return fixed, nil
}

// repairChain rewrites chain name when it lacks rules written or holds
// others; "" when it is as written or not the backend's.
func (b *Backend) repairChain(ctx context.Context, tx *knftables.Transaction, name string) (string, error) {
	decl, want, ok := b.writtenChain(name)
	if !ok {
		return "", nil
	}
	got, err := b.rules.CountRules(ctx, name)
	what := ""
	switch {
	case notFound(err):
		what = "chain " + name + " deleted"
	case err != nil:
		return "", fmt.Errorf("count rules of nftables chain %s: %w", name, err)
	case got != len(want):
		what = fmt.Sprintf("chain %s has %d rules, %d were written", name, got, len(want))
	default:
		return "", nil
	}
	tx.Add(decl)
	tx.Flush(decl)
	for _, r := range want {
		tx.Add(&knftables.Rule{Chain: name, Rule: r})
	}
	return what, nil
}

// writtenChain is chain name as the backend wrote it: its declaration
// and rules; false for a chain it did not write (or is deleting).
func (b *Backend) writtenChain(name string) (*knftables.Chain, chainRules, bool) {
	if rules, ok := b.cfg.fixedRules()[name]; ok {
		for _, bc := range baseChains {
			if bc.name == name {
				return &knftables.Chain{Name: name, Type: knftables.PtrTo(bc.kind), Hook: knftables.PtrTo(bc.hook), Priority: knftables.PtrTo(bc.priority)}, rules, true
			}
		}
		return &knftables.Chain{Name: name}, rules, true
	}
	if b.st.staleChains.Has(name) {
		return nil, nil, false
	}
	for _, bd := range b.st.bundles {
		if rules, ok := bd.chains[name]; ok {
			return &knftables.Chain{Name: name}, rules, true
		}
	}
	return nil, nil, false
}

// repairContainer brings the elements of map or set name back to what
// was written; "" when they are, or it is not a shared container (an
// affinity set's elements are the datapath's).
func (b *Backend) repairContainer(ctx context.Context, tx *knftables.Transaction, name string) (string, error) {
	decl, ok := b.containerDecl(name)
	if !ok {
		return "", nil
	}
	typ := "set"
	if isMap(name) {
		typ = "map"
	}
	have := map[elemID]elem{}
	els, err := b.nft.ListElements(ctx, typ, name)
	missing := notFound(err)
	if err != nil && !missing {
		return "", fmt.Errorf("list nftables %s %s: %w", typ, name, err)
	}
	for _, e := range els {
		have[idOf(name, e.Key)] = elem{key: e.Key, value: e.Value}
	}
	var dels, adds []elem
	for id, e := range have {
		if w, ok := b.st.elems[id]; !ok || !w.equal(e) {
			dels = append(dels, e)
		}
	}
	for id, w := range b.st.elems {
		if id.container != name {
			continue
		}
		if e, ok := have[id]; !ok || !w.equal(e) {
			adds = append(adds, w)
		}
	}
	if !missing && len(dels) == 0 && len(adds) == 0 {
		return "", nil
	}
	if missing {
		tx.Add(decl)
	}
	for _, e := range sortedElems(dels) {
		tx.Delete(toElement(name, e))
	}
	for _, e := range sortedElems(adds) {
		tx.Add(toElement(name, e))
	}
	if missing {
		return fmt.Sprintf("%s %s deleted", typ, name), nil
	}
	return fmt.Sprintf("%s %s: %d elements not written, %d written ones missing or changed", typ, name, len(dels), len(adds)), nil
}

// containerDecl is the declaration of a shared map or set; false for
// others.
func (b *Backend) containerDecl(name string) (knftables.Object, bool) {
	for _, s := range b.cfg.tableSets() {
		if s.Name == name {
			return s, true
		}
	}
	for _, m := range b.cfg.tableMaps() {
		if m.Name == name {
			return m, true
		}
	}
	if b.st.epsMaps.Has(name) {
		return b.cfg.endpointMapDecl(name), true
	}
	return nil, false
}

// sortedElems orders elements by key, so a repair writes the same
// transaction for the same difference.
func sortedElems(els []elem) []elem {
	slices.SortFunc(els, func(a, b elem) int { return slices.Compare(a.key, b.key) })
	return els
}
