package firewall

import (
	"fmt"
	"net/netip"
	"sort"
)

// setPlan is the ipset work of one sync, in the order it runs: create
// sets and fill them before the restore (so new rules find their sets
// filled), destroy sets after it (so no rule still references a
// destroyed set).
//
// Members of sets that rules already use change around the restore so
// that no step allows more than the old or the new model: what narrows
// goes before the restore, what widens after it. Were an allowed peer
// added before a restore that changes the rule's port and then fails, it
// would pass on the old port, allowed by neither model; were a pod made
// known (lifting the unknown-pod gate) before its chains existed, it
// would pass unfiltered. A peer's set and the known sets widen when a
// member is added; an except set, matched with "!", and the guard's sets
// when one is deleted.
type setPlan struct {
	create       []string
	add          []memberOp // new sets' members and narrowing additions
	narrowBefore []memberOp // deletions that narrow, before the restore
	widenAfter   []memberOp // additions that widen, after the restore
	del          []memberOp // deletions that widen
	destroy      []string
}

type memberOp struct {
	set    string
	member netip.Prefix
}

func (p setPlan) ops() int {
	return len(p.create) + len(p.add) + len(p.narrowBefore) + len(p.widenAfter) + len(p.del) + len(p.destroy)
}

// planSets diffs the sets in the kernel against the wanted ones. A set of
// ours whose type or family differs cannot be fixed in place while rules
// use it: that is an error (names encode both, so only a foreign set
// with one of our names gets there).
func planSets(before, after map[string]*setSpec) (setPlan, error) {
	var p setPlan
	for _, name := range sortedKeys(after) {
		want := after[name]
		have, ok := before[name]
		if !ok {
			p.create = append(p.create, name)
			have = &setSpec{kind: want.kind, ipv6: want.ipv6}
		} else if have.kind != want.kind || have.ipv6 != want.ipv6 {
			return setPlan{}, fmt.Errorf("set %s is %s (IPv6 %t), want %s (IPv6 %t): destroy it, or run nodenet cleanup",
				name, have.kind, have.ipv6, want.kind, want.ipv6)
		}
		added, removed := diffMembers(have.members, want.members)
		add, del := &p.add, &p.del
		if ok && !narrowsOnAdd(name) {
			// Rules may use it: see setPlan. A set created now is used
			// by no rule yet, so it is filled before.
			add, del = &p.widenAfter, &p.narrowBefore
		}
		for _, m := range added {
			*add = append(*add, memberOp{name, m})
		}
		for _, m := range removed {
			*del = append(*del, memberOp{name, m})
		}
	}
	for _, name := range sortedKeys(before) {
		if _, ok := after[name]; !ok {
			p.destroy = append(p.destroy, name)
		}
	}
	return p, nil
}

// diffMembers walks two sorted lists once.
func diffMembers(have, want []netip.Prefix) (added, removed []netip.Prefix) {
	i, j := 0, 0
	for i < len(have) || j < len(want) {
		switch {
		case j == len(want) || i < len(have) && comparePrefix(have[i], want[j]) < 0:
			removed = append(removed, have[i])
			i++
		case i == len(have) || comparePrefix(have[i], want[j]) > 0:
			added = append(added, want[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
