package iptables

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// Cleanup removes every chain and rule nodenet made for family, and
// nothing else: the hook rules first, then all NODENET- chains in one
// atomic restore (declared, which flushes them, then deleted).
func Cleanup(ipFamily v1.IPFamily) error {
	k, err := execKernelFor(ipFamily)
	if err != nil {
		return err
	}
	return CleanupKernel(k)
}

// CleanupKernel is Cleanup on a given Kernel. It is idempotent: with
// nothing of nodenet's left it changes nothing and succeeds.
func CleanupKernel(k Kernel) error {
	owned := map[string][]string{}
	for _, table := range []string{tableNAT, tableFilter} {
		chains, err := k.ListChains(table)
		if err != nil {
			return fmt.Errorf("list %s chains: %w", table, err)
		}
		owned[table] = ownChains(chains)
	}
	if err := removeHooks(k, owned); err != nil {
		return err
	}
	var b bytes.Buffer
	for _, table := range []string{tableNAT, tableFilter} {
		ours := owned[table]
		if len(ours) == 0 {
			continue
		}
		b.WriteString("*" + table + "\n")
		for _, c := range ours {
			declare(&b, c)
		}
		for _, c := range ours {
			b.WriteString("-X " + c + "\n")
		}
		b.WriteString("COMMIT\n")
	}
	if b.Len() == 0 {
		return nil
	}
	return k.Restore(b.Bytes())
}

// removeHooks deletes the jumps into chains that exist. A hook to a
// missing chain cannot exist, and iptables cannot even check for one: it
// fails to load the target.
func removeHooks(k Kernel, owned map[string][]string) error {
	for _, h := range hooks() {
		target := h.rule[len(h.rule)-1]
		if !slices.Contains(owned[h.table], target) {
			continue
		}
		if err := k.DeleteRule(h.table, h.chain, h.rule...); err != nil {
			return fmt.Errorf("remove hook from %s %s: %w", h.table, h.chain, err)
		}
	}
	return nil
}

// ownChains keeps the agent's chains. The bundled CNI plugin's ipMasq
// chains share the NODENET- prefix (NODENET-MASQ- and a hash) and belong
// to running pods: cleanup must leave them, or it would flush a chain
// POSTROUTING still jumps to and fail.
func ownChains(chains []string) []string {
	var out []string
	for _, c := range chains {
		if isAgentChain(c) {
			out = append(out, c)
		}
	}
	return out
}

func isAgentChain(c string) bool {
	if _, ok := parseShardChain(c); ok {
		return true
	}
	return slices.Contains(fixedChains, c)
}

// mentionsAgentChain tells whether an iptables-save line declares or jumps
// to one of the agent's chains.
func mentionsAgentChain(line string) bool {
	for _, f := range strings.Fields(line) {
		if isAgentChain(strings.TrimPrefix(f, ":")) {
			return true
		}
	}
	return false
}

// SaveRules returns nodenet's chains and rules, and the built-in chains'
// rules that jump into them, in iptables-save format.
func SaveRules(ipFamily v1.IPFamily) (string, error) {
	k, err := execKernelFor(ipFamily)
	if err != nil {
		return "", err
	}
	return SaveKernelRules(k)
}

// SaveKernelRules is SaveRules on a given Kernel. The output is valid
// iptables-restore input; tables without nodenet rules are left out.
func SaveKernelRules(k Kernel) (string, error) {
	var out strings.Builder
	for _, table := range []string{tableNAT, tableFilter} {
		text, err := k.Save(table)
		if err != nil {
			return "", err
		}
		var ours []string
		for _, line := range strings.Split(text, "\n") {
			if mentionsAgentChain(line) {
				ours = append(ours, line)
			}
		}
		if len(ours) > 0 {
			out.WriteString("*" + table + "\n" + strings.Join(ours, "\n") + "\nCOMMIT\n")
		}
	}
	return out.String(), nil
}
