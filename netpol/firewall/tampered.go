package firewall

import (
	"fmt"
	"sort"
	"strings"
)

// Tampered tells what of the last applied rules the kernel no longer holds
// as applied, "" when nothing: one of the firewall's chains missing or
// with another number of rules, or the hook not alone at the top of
// FORWARD. One iptables-save per family. Counting catches a flush, a
// deleted rule and one inserted or appended by someone else; a rule
// replaced in place (iptables -R) with the count unchanged is not seen
// (the hourly full sync rewrites it). The controller calls it when
// WatchTampering reports a change, which its own syncs also cause.
func (f *Firewall) Tampered() (string, error) {
	if f.applied == nil {
		return "", nil // the next sync is full anyway
	}
	// Read before the saves: a change made after them is then seen by
	// the next LegacyChanged, not taken into the baseline.
	legacy := f.readLegacy()
	if what, err := f.guardTampered(f.applied.guard); what != "" || err != nil {
		return what, err
	}
	for _, fam := range f.kernels.families() {
		save, err := fam.kernel.Save(filterTable)
		if err != nil {
			return "", fmt.Errorf("%s: %w", ipFamilyOf(fam.ipv6), err)
		}
		if what := compareSaved(save, f.applied.chains[fam.ipv6]); what != "" {
			return fmt.Sprintf("%s: %s", ipFamilyOf(fam.ipv6), what), nil
		}
	}
	f.rememberLegacy(legacy)
	return "", nil
}

// compareSaved checks an iptables-save of the filter table against the
// applied chains.
func compareSaved(save string, applied ruleset) string {
	declared := map[string]bool{}
	counts := map[string]int{}
	var forward []string
	for _, l := range strings.Split(save, "\n") {
		switch {
		case strings.HasPrefix(l, ":"):
			declared[strings.Fields(l[1:])[0]] = true
		case strings.HasPrefix(l, "-A "):
			chain := strings.Fields(l)[1]
			counts[chain]++
			if chain == forwardChain {
				forward = append(forward, l)
			}
		}
	}
	if hookFixLines(forward) != nil {
		return "the hook is not alone first in FORWARD"
	}
	chains := make([]string, 0, len(applied))
	for c := range applied {
		chains = append(chains, c)
	}
	sort.Strings(chains)
	for _, c := range chains {
		switch {
		case !declared[c]:
			return "chain " + c + " is missing"
		case counts[c] != len(applied[c]):
			return fmt.Sprintf("chain %s has %d rules, %d were applied", c, counts[c], len(applied[c]))
		}
	}
	return ""
}
