package firewall

import (
	"bytes"
	"slices"
	"sort"
)

// chainPlan is what one family's restore must do.
type chainPlan struct {
	write   []string // chains to declare (flush) and fill
	remove  []string // chains to flush and delete
	hookFix []string // restore lines putting the hook first in FORWARD
}

// planChains compares the chains in the kernel with the wanted ones. A
// chain is rewritten when it is new or its rules differ, or on a full
// sync, where before only says which chains exist.
func planChains(before, after ruleset, full bool, hookFix []string) chainPlan {
	p := chainPlan{hookFix: hookFix}
	for name, rules := range after {
		have, ok := before[name]
		if full || !ok || !slices.Equal(have, rules) {
			p.write = append(p.write, name)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			p.remove = append(p.remove, name)
		}
	}
	sort.Strings(p.write)
	sort.Strings(p.remove)
	return p
}

func (p chainPlan) empty() bool {
	return len(p.write) == 0 && len(p.remove) == 0 && len(p.hookFix) == 0
}

// payload is the iptables-restore --noflush input: declare (and so flush)
// every written and removed chain, fill the written ones, fix the hook,
// delete the removed ones. Removed chains are referenced only by chains
// rewritten in the same transaction, so deleting them commits. Nothing
// when the plan is empty, so that no restore runs.
func (p chainPlan) payload(after ruleset) []byte {
	if p.empty() {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("*" + filterTable + "\n")
	for _, c := range p.write {
		b.WriteString(":" + c + " - [0:0]\n")
	}
	for _, c := range p.remove {
		b.WriteString(":" + c + " - [0:0]\n")
	}
	for _, c := range p.write {
		for _, r := range after[c] {
			b.WriteString("-A " + c + " " + r + "\n")
		}
	}
	for _, l := range p.hookFix {
		b.WriteString(l + "\n")
	}
	for _, c := range p.remove {
		b.WriteString("-X " + c + "\n")
	}
	b.WriteString("COMMIT\n")
	return b.Bytes()
}
