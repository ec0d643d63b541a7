package ipvs

import (
	"slices"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy"
)

// ruleSpec computes the sets for the frontends about to be rendered.
func (b *Backend) ruleSpec(fronts map[ServiceKey]*frontend) *RuleSpec {
	members := map[SetKind]sets.Set[string]{}
	for _, k := range SetKinds {
		members[k] = sets.New[string]()
	}
	for key, f := range fronts {
		m := member(key.Addr, key.Protocol, key.Port)
		switch {
		case f.kind == proxy.ClusterIPFrontend:
			members[SetClusterIP].Insert(m)
		case !f.localOnly:
			members[SetExternal].Insert(m)
		}
		if f.kind == proxy.LoadBalancerFrontend && len(f.sourceRanges) > 0 {
			members[SetSourceLimited].Insert(m)
			for _, r := range f.sourceRanges {
				if r.Addr().Is4() == b.c.is4() {
					members[SetSourceAllowed].Insert(m + "," + r.String())
				}
			}
		}
		for _, ap := range f.localReals {
			members[SetLoopBack].Insert(member(ap.Addr(), key.Protocol, ap.Port()) + "," + ap.Addr().String())
		}
	}
	spec := &RuleSpec{IPv6: !b.c.is4(), Sets: map[SetKind][]string{}, MasqueradeAll: b.c.MasqueradeAll,
		MasqueradeMark: 1 << b.c.MasqueradeBit}
	for _, p := range b.c.ClusterCIDRs {
		if p.Addr().Is4() == b.c.is4() {
			spec.ClusterCIDRs = append(spec.ClusterCIDRs, p)
		}
	}
	for k, s := range members {
		list := s.UnsortedList()
		slices.Sort(list)
		spec.Sets[k] = list
	}
	return spec
}

// applyRules applies the rules for fronts when they differ from the last
// applied. It runs before the virtual servers change: a new virtual server
// must not carry traffic before its masquerade and hairpin rules exist
// (the rules take a few exec()s, the virtual servers a netlink message).
func (b *Backend) applyRules(fronts map[ServiceKey]*frontend) error {
	if b.rules == nil {
		return nil
	}
	spec := b.ruleSpec(fronts)
	if spec.Equal(b.appliedRules) {
		return nil
	}
	if err := b.rules.Apply(spec, b.appliedRules); err != nil {
		b.appliedRules = nil
		return err
	}
	b.appliedRules = spec
	return nil
}
