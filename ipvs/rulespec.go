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

// addRules (nil fronts: nothing to do), before the virtual servers change,
// applies the members fronts adds to what the kernel has (nothing is removed yet): a new virtual
// server must not carry traffic before its masquerade and hairpin rules
// exist, and the rules take a few exec()s where a virtual server takes a
// netlink message. A change that only removes (an endpoint gone) skips
// this, so IPVS stops using the endpoint at once.
func (b *Backend) addRules(fronts map[ServiceKey]*frontend) error {
	if b.rules == nil || fronts == nil {
		return nil
	}
	spec := b.ruleSpec(fronts)
	if b.appliedRules != nil && spec.SameChains(b.appliedRules) {
		spec = spec.union(b.appliedRules)
	}
	return b.apply(spec)
}

// finishRules, after the virtual servers changed, applies the exact rules
// for fronts (removing what nothing uses any more).
func (b *Backend) finishRules(fronts map[ServiceKey]*frontend) error {
	if b.rules == nil || fronts == nil {
		return nil
	}
	return b.apply(b.ruleSpec(fronts))
}

func (b *Backend) apply(spec *RuleSpec) error {
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
