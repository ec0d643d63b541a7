package firewall

import (
	"fmt"
	"strings"

	"github.com/nodenet/nodenet/iptables"
)

// kernelView is what a full sync reads: which of our chains and sets
// exist (the sets with their members), and how to fix the hook.
type kernelView struct {
	desired *desired // chains with unknown (nil) rules: a full sync rewrites them all
	hookFix map[bool][]string
}

func (f *Firewall) readKernel() (*kernelView, error) {
	v := &kernelView{desired: &desired{chains: map[bool]ruleset{}, sets: map[string]*setSpec{}}, hookFix: map[bool][]string{}}
	for _, fam := range f.kernels.families() {
		chains, err := ownChains(fam.kernel)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ipFamilyOf(fam.ipv6), err)
		}
		rs := ruleset{}
		for _, c := range chains {
			rs[c] = nil
		}
		v.desired.chains[fam.ipv6] = rs
		forward, err := fam.kernel.ListRules(filterTable, forwardChain)
		if err != nil {
			return nil, fmt.Errorf("list %s FORWARD: %w", ipFamilyOf(fam.ipv6), err)
		}
		v.hookFix[fam.ipv6] = hookFixLines(forward)
	}
	sets, err := ownSets(f.kernels.Sets)
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		v.desired.sets[s.Name] = newSetSpec(s.Kind, s.IPv6, s.Members)
	}
	return v, nil
}

func ownChains(k iptables.Kernel) ([]string, error) {
	all, err := k.ListChains(filterTable)
	if err != nil {
		return nil, fmt.Errorf("list filter chains: %w", err)
	}
	var out []string
	for _, c := range all {
		if isOwnChain(c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func ownSets(k SetKernel) ([]SetInfo, error) {
	all, err := k.ListSets()
	if err != nil {
		return nil, fmt.Errorf("list ipsets: %w", err)
	}
	var out []SetInfo
	for _, s := range all {
		if isOwnSet(s.Name) {
			out = append(out, s)
		}
	}
	return out, nil
}

// hookFixLines returns nothing when the hook is FORWARD's first rule and
// appears once; otherwise lines deleting every copy and inserting it
// first. First matters: a rule above it that ACCEPTs (the proxy's
// NODENET-FORWARD accepts masqueraded Service traffic) would let denied
// traffic through.
func hookFixLines(forward []string) []string {
	rules := appendRules(forward)
	count := 0
	for _, r := range rules {
		if r == hookLine {
			count++
		}
	}
	if count == 1 && rules[0] == hookLine {
		return nil
	}
	spec := strings.TrimPrefix(hookLine, "-A "+forwardChain+" ")
	var out []string
	for range count {
		out = append(out, "-D "+forwardChain+" "+spec)
	}
	return append(out, "-I "+forwardChain+" 1 "+spec)
}

// appendRules keeps the rules of `iptables -S` output, not the -P/-N line.
func appendRules(listing []string) []string {
	var out []string
	for _, l := range listing {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "-A ") {
			out = append(out, l)
		}
	}
	return out
}

// Intact reports whether the firewall's hook is still the first rule of
// FORWARD in every enforced family (a proxy.Verifier-style check: one
// listing per family). When it is not, the caller should run a full Sync.
//
// It also turns the bridge sysctls on again: the controller calls it once
// per sync period, so br_netfilter loaded (or its sysctls reset) after the
// last full sync is taken into account within that period, not the hour.
func (f *Firewall) Intact() (bool, error) {
	f.enableBridgeNetfilter()
	for _, fam := range f.kernels.families() {
		forward, err := fam.kernel.ListRules(filterTable, forwardChain)
		if err != nil {
			return false, fmt.Errorf("list %s FORWARD: %w", ipFamilyOf(fam.ipv6), err)
		}
		if hookFixLines(forward) != nil {
			return false, nil
		}
	}
	return true, nil
}
