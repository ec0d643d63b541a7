package firewall

import (
	"fmt"
	"net/netip"
	"sort"
)

// setPlan is the ipset work of one sync, in the order it runs: create
// sets and add members before the restore (so new rules find their
// sets filled), delete members and destroy sets after it (so no rule
// still references a destroyed set).
type setPlan struct {
	create  []string
	add     []memberOp
	del     []memberOp
	destroy []string
}

type memberOp struct {
	set    string
	member netip.Prefix
}

func (p setPlan) ops() int { return len(p.create) + len(p.add) + len(p.del) + len(p.destroy) }

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
		for _, m := range added {
			p.add = append(p.add, memberOp{name, m})
		}
		for _, m := range removed {
			p.del = append(p.del, memberOp{name, m})
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
