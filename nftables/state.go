package nftables

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/proxy"
)

// state is what the backend knows is in the kernel after its last
// successful transaction.
type state struct {
	bundles map[proxy.ServicePortName]*bundle
	// owners are the service ports claiming each shared element. Several
	// may (the ports of one ClusterIP share its cluster-ips element); the
	// element holds the first owner's value (by name), so a conflict
	// resolves the same way on every sync.
	// A slice, not a map: nearly every element has one owner, and a map
	// per element (~150k at 10k Services) costs several times as much.
	owners map[elemID][]claim
	elems  map[elemID]elem // service-owned elements in the kernel
	fixed  map[elemID]elem // configuration-owned elements (fixedElems)
	// alloc hands out the endpoint maps' slots (slots.go); epsMaps are
	// the endpoint maps that exist (declared when first used).
	alloc   *slotAllocator
	epsMaps sets.Set[string]
	// staleChains and staleSets were emptied and unlinked by the last
	// transaction and wait for deleteStale.
	staleChains, staleSets sets.Set[string]
}

// newState sizes its maps for ports service ports (a full sync knows
// them): growing maps of ~100k elements step by step allocates several
// times their final size.
func newState(ports int) *state {
	return &state{
		bundles:     make(map[proxy.ServicePortName]*bundle, ports),
		owners:      make(map[elemID][]claim, ports*elemsPerPortHint),
		elems:       map[elemID]elem{},
		fixed:       map[elemID]elem{},
		alloc:       newSlotAllocator(),
		epsMaps:     sets.New[string](),
		staleChains: sets.New[string](),
		staleSets:   sets.New[string](),
	}
}

// claim records bd as name's bundle and its element claims.
func (s *state) claim(name proxy.ServicePortName, bd *bundle) {
	s.bundles[name] = bd
	for id, e := range bd.elems {
		s.owners[id] = append(s.owners[id], claim{name: name, elem: e})
	}
}

// release drops name's bundle and claims.
func (s *state) release(name proxy.ServicePortName) {
	bd := s.bundles[name]
	if bd == nil {
		return
	}
	for id := range bd.elems {
		list := slices.DeleteFunc(s.owners[id], func(c claim) bool { return c.name == name })
		if len(list) == 0 {
			delete(s.owners, id)
		} else {
			s.owners[id] = list
		}
	}
	delete(s.bundles, name)
}

// effective is the element id should hold, and whether any port claims it.
func (s *state) effective(id elemID) (elem, bool) {
	if e, ok := s.fixed[id]; ok {
		return e, true
	}
	owners := s.owners[id]
	if len(owners) == 0 {
		return elem{}, false
	}
	first := owners[0]
	for _, c := range owners[1:] {
		if c.name.String() < first.name.String() {
			first = c
		}
	}
	return first.elem, true
}

// elemsPerPortHint is a typical service port's element count: ~10
// endpoints, its service-ips and cluster-ips elements.
const elemsPerPortHint = 12

// claim is one service port's claim on a shared element.
type claim struct {
	name proxy.ServicePortName
	elem elem
}

// chainOps collects one transaction's chain and set operations, so they go
// out in an order the kernel accepts: declarations before the rules and
// elements that reference them, flushes of unlinked chains last.
type chainOps struct {
	addSets   map[string]time.Duration
	addMaps   sets.Set[string] // endpoint maps
	addChains []string
	fill      map[string]chainRules // flushed (if existing) and refilled
	existing  sets.Set[string]      // chains of fill that exist before the transaction
	unlink    []string              // chains to flush and delete later
	dropSets  []string
}

func newChainOps() *chainOps {
	return &chainOps{addSets: map[string]time.Duration{}, addMaps: sets.New[string](), fill: map[string]chainRules{}, existing: sets.New[string]()}
}

// diff records what turns bundle old into bundle cur (either may be nil).
func (o *chainOps) diff(old, cur *bundle, stale *state) {
	if old == nil {
		old = newBundle()
	}
	if cur == nil {
		cur = newBundle()
	}
	for _, b := range cur.blocks {
		if !stale.epsMaps.Has(b.shard) {
			o.addMaps.Insert(b.shard)
			stale.epsMaps.Insert(b.shard)
		}
	}
	for name, d := range cur.sets {
		if _, had := old.sets[name]; !had && !stale.staleSets.Has(name) {
			o.addSets[name] = d
		}
		stale.staleSets.Delete(name)
	}
	for name, rules := range cur.chains {
		prev, had := old.chains[name]
		switch {
		case had && slices.Equal(prev, rules):
			continue
		case had || stale.staleChains.Has(name):
			o.existing.Insert(name)
		default:
			o.addChains = append(o.addChains, name)
		}
		stale.staleChains.Delete(name)
		o.fill[name] = rules
	}
	for name := range old.chains {
		if _, keep := cur.chains[name]; !keep {
			o.unlink = append(o.unlink, name)
		}
	}
	for name := range old.sets {
		if _, keep := cur.sets[name]; !keep {
			o.dropSets = append(o.dropSets, name)
		}
	}
}

// writeDeclarations adds the new sets and chains, then fills the chains.
func (o *chainOps) writeDeclarations(tx *knftables.Transaction, c *config) {
	f := c.family
	for _, name := range sets.List(o.addMaps) {
		tx.Add(c.endpointMapDecl(name))
	}
	for _, name := range slices.Sorted(maps.Keys(o.addSets)) {
		d := o.addSets[name]
		tx.Add(&knftables.Set{Name: name, Type: f.addrType, Flags: []knftables.SetFlag{knftables.DynamicFlag, knftables.TimeoutFlag}, Timeout: &d})
	}
	sort.Strings(o.addChains)
	for _, name := range o.addChains {
		tx.Add(&knftables.Chain{Name: name})
	}
	for _, name := range slices.Sorted(maps.Keys(o.fill)) {
		if o.existing.Has(name) {
			tx.Flush(&knftables.Chain{Name: name})
		}
		for _, r := range o.fill[name] {
			tx.Add(&knftables.Rule{Chain: name, Rule: r})
		}
	}
}

// writeUnlinks flushes the chains no longer wanted and marks them and the
// unwanted sets stale, for deleteStale.
func (o *chainOps) writeUnlinks(t *txn, s *state) {
	sort.Strings(o.unlink)
	for _, name := range o.unlink {
		t.unlink = append(t.unlink, name)
		s.staleChains.Insert(name)
	}
	s.staleSets.Insert(o.dropSets...)
}

// planChanges writes into out what the changed service ports need, from the
// remembered bundles alone, and returns the state after it.
func (s *state) planChanges(out *txn, c *config, t *proxy.Table, changed sets.Set[proxy.ServicePortName]) *state {
	ops := newChainOps()
	touched := sets.New[elemID]()
	for _, name := range sortedNames(changed) {
		old := s.bundles[name]
		cur := c.render(t, name, s.alloc, old)
		ops.diff(old, cur, s)
		if old != nil {
			for id := range old.elems {
				touched.Insert(id)
			}
		}
		for id := range cur.elems {
			touched.Insert(id)
		}
		s.release(name)
		if !cur.empty() {
			s.claim(name, cur)
		}
	}
	ops.writeDeclarations(out.tx, c)
	s.writeElems(out, sortedIDs(touched))
	ops.writeUnlinks(out, s)
	return s
}

// writeElems brings the listed elements from s.elems to their effective
// value: deleted, added, or replaced (delete then add: the kernel refuses
// to add an existing key with another value).
func (s *state) writeElems(t *txn, ids []elemID) {
	t.elems = slices.Grow(t.elems, len(ids))
	for _, id := range ids {
		want, wanted := s.effective(id)
		have, had := s.elems[id]
		if had && wanted && have.equal(want) {
			continue
		}
		if had {
			t.deleteElem(id.container, have)
			delete(s.elems, id)
		}
		if wanted {
			t.addElem(id.container, want)
			s.elems[id] = want
		}
	}
}

// isMap tells the maps from the sets among the shared containers.
func isMap(container string) bool {
	if isEndpointMap(container) {
		return true
	}
	switch container {
	case mapServiceIPs, mapServiceNodePorts, mapNoEndpointServices, mapNoEndpointNodePorts, mapFirewallIPs:
		return true
	}
	return false
}

func toElement(container string, e elem) *knftables.Element {
	el := &knftables.Element{Key: e.key, Value: e.value}
	if isMap(container) {
		el.Map = container
	} else {
		el.Set = container
	}
	return el
}

// sortedNames orders by String(), built once per name: the comparator
// would build two strings per comparison (~300k at 10k Services).
func sortedNames(s sets.Set[proxy.ServicePortName]) []proxy.ServicePortName {
	type keyed struct {
		key  string
		name proxy.ServicePortName
	}
	list := make([]keyed, 0, len(s))
	for n := range s {
		list = append(list, keyed{n.String(), n})
	}
	slices.SortFunc(list, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	out := make([]proxy.ServicePortName, len(list))
	for i, k := range list {
		out[i] = k.name
	}
	return out
}

func sortedIDs(s sets.Set[elemID]) []elemID {
	return sortIDs(s.UnsortedList())
}

func sortIDs(ids []elemID) []elemID {
	slices.SortFunc(ids, func(a, b elemID) int {
		if c := strings.Compare(a.container, b.container); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	return ids
}
