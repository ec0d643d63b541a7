package firewall

import (
	"fmt"
)

// syncStats say how much one sync wrote, for the log.
type syncStats struct{ chains, restores, setOps int }

// apply writes want: sets and new members first, then one restore per
// family with changes, then member removals and set destruction.
func (f *Firewall) apply(want *desired, full bool) (syncStats, error) {
	var st syncStats
	before := f.applied
	hookFix := map[bool][]string{}
	if full {
		f.enableBridgeNetfilter()
		view, err := f.readKernel()
		if err != nil {
			return st, err
		}
		before, hookFix = view.desired, view.hookFix
	}
	sets, err := planSets(before.sets, want.sets)
	if err != nil {
		return st, err
	}
	st.setOps = sets.ops()
	if err := f.createAndFill(want, sets); err != nil {
		return st, err
	}
	for _, fam := range f.kernels.families() {
		plan := planChains(before.chains[fam.ipv6], want.chains[fam.ipv6], full, hookFix[fam.ipv6])
		payload := plan.payload(want.chains[fam.ipv6])
		if payload == nil {
			continue
		}
		st.chains += len(plan.write)
		st.restores++
		if err := fam.kernel.Restore(payload); err != nil {
			return st, fmt.Errorf("%s restore of %d chain(s): %w", ipFamilyOf(fam.ipv6), len(plan.write)+len(plan.remove), err)
		}
	}
	return st, f.prune(sets)
}

func (f *Firewall) createAndFill(want *desired, p setPlan) error {
	for _, name := range p.create {
		spec := want.sets[name]
		if err := f.kernels.Sets.CreateSet(name, spec.kind, spec.ipv6); err != nil {
			return fmt.Errorf("create set %s: %w", name, err)
		}
	}
	for _, op := range p.add {
		if err := f.kernels.Sets.AddMember(op.set, op.member); err != nil {
			return fmt.Errorf("add %s to set %s: %w", op.member, op.set, err)
		}
	}
	return nil
}

func (f *Firewall) prune(p setPlan) error {
	for _, op := range p.del {
		if err := f.kernels.Sets.DelMember(op.set, op.member); err != nil {
			return fmt.Errorf("delete %s from set %s: %w", op.member, op.set, err)
		}
	}
	for _, name := range p.destroy {
		if err := f.kernels.Sets.DestroySet(name); err != nil {
			return fmt.Errorf("destroy set %s: %w", name, err)
		}
	}
	return nil
}
