package firewall

import (
	"fmt"
)

// syncStats say how much one sync wrote, for the log.
type syncStats struct{ chains, restores, setOps int }

// apply writes want: new sets and what narrows first, then one restore
// per family with changes, then what widens and set destruction (see
// setPlan for why).
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
	if err := f.delMembers(sets.narrowBefore); err != nil {
		return st, err
	}
	// The guard table goes before the restore that removes NODENET-FW's
	// ranMark rule and comes after the one that adds it: it must never
	// reject traffic the firewall ran on but could not mark.
	if want.guard == nil && (full || before.guard != nil) {
		if err := f.writeGuard(nil); err != nil {
			return st, err
		}
	}
	if err := f.restoreChains(before, want, full, hookFix, &st); err != nil {
		return st, err
	}
	if want.guard != nil && (full || !want.guard.equal(before.guard)) {
		if err := f.writeGuard(want.guard); err != nil {
			return st, err
		}
	}
	if err := f.addMembers(sets.widenAfter); err != nil {
		return st, err
	}
	return st, f.prune(sets)
}

// restoreChains runs one restore per family whose chains changed.
func (f *Firewall) restoreChains(before, want *desired, full bool, hookFix map[bool][]string, st *syncStats) error {
	for _, fam := range f.kernels.families() {
		plan := planChains(before.chains[fam.ipv6], want.chains[fam.ipv6], full, hookFix[fam.ipv6])
		payload := plan.payload(want.chains[fam.ipv6])
		if payload == nil {
			continue
		}
		st.chains += len(plan.write)
		st.restores++
		if err := fam.kernel.Restore(payload); err != nil {
			return fmt.Errorf("%s restore of %d chain(s): %w", ipFamilyOf(fam.ipv6), len(plan.write)+len(plan.remove), err)
		}
	}
	return nil
}

func (f *Firewall) createAndFill(want *desired, p setPlan) error {
	for _, name := range p.create {
		spec := want.sets[name]
		if err := f.kernels.Sets.CreateSet(name, spec.kind, spec.ipv6); err != nil {
			return fmt.Errorf("create set %s: %w", name, err)
		}
	}
	return f.addMembers(p.add)
}

func (f *Firewall) addMembers(ops []memberOp) error {
	for _, op := range ops {
		if err := f.kernels.Sets.AddMember(op.set, op.member); err != nil {
			return fmt.Errorf("add %s to set %s: %w", op.member, op.set, err)
		}
	}
	return nil
}

func (f *Firewall) delMembers(ops []memberOp) error {
	for _, op := range ops {
		if err := f.kernels.Sets.DelMember(op.set, op.member); err != nil {
			return fmt.Errorf("delete %s from set %s: %w", op.member, op.set, err)
		}
	}
	return nil
}

func (f *Firewall) prune(p setPlan) error {
	if err := f.delMembers(p.del); err != nil {
		return err
	}
	for _, name := range p.destroy {
		if err := f.kernels.Sets.DestroySet(name); err != nil {
			return fmt.Errorf("destroy set %s: %w", name, err)
		}
	}
	return nil
}
