package firewall

import (
	"bytes"
	"errors"
	"fmt"

	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/iptables"
)

// Cleanup removes the firewall's hooks, chains and sets from the current
// network namespace, for every usable family, and nothing else. It is
// idempotent, and succeeds where no iptables works (no chain can exist).
func Cleanup() error {
	k, err := usableKernels()
	if err != nil {
		return err
	}
	if s, ok := k.Sets.(*NetlinkSets); ok {
		defer s.Close()
	}
	return CleanupKernels(k)
}

// CleanupKernels is Cleanup on given kernels. Chains go first, in one
// restore per family, so that no rule references the sets destroyed
// next. One family's failure does not stop the other's.
func CleanupKernels(k Kernels) error {
	var errs []error
	// The guard first: without NODENET-FW's mark it would reject pod traffic.
	if err := (&Firewall{kernels: k}).writeGuard(nil); err != nil {
		return err
	}
	hadChains := false
	for _, fam := range k.families() {
		had, err := cleanupChains(fam.kernel)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ipFamilyOf(fam.ipv6), err))
		}
		hadChains = hadChains || had
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	sets, err := ownSets(k.Sets)
	if err != nil && !hadChains {
		// A node without the ip_set module cannot list sets, and then has
		// none of ours: cleanup must not fail there.
		klog.V(2).InfoS("Cannot list ipsets; the firewall had no chains, so none are ours to remove", "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	for _, s := range sets {
		if err := k.Sets.DestroySet(s.Name); err != nil {
			errs = append(errs, fmt.Errorf("destroy set %s: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}

// cleanupChains deletes every copy of the hook, then flushes and deletes
// the firewall's chains, and says whether there were any.
func cleanupChains(k iptables.Kernel) (bool, error) {
	chains, err := ownChains(k)
	if err != nil {
		return false, err
	}
	if len(chains) == 0 {
		// Without NODENET-FW no hook can exist: iptables refuses a jump
		// to a missing chain.
		return false, nil
	}
	forward, err := k.ListRules(filterTable, forwardChain)
	if err != nil {
		return true, fmt.Errorf("list FORWARD: %w", err)
	}
	var b bytes.Buffer
	b.WriteString("*" + filterTable + "\n")
	for _, c := range chains {
		b.WriteString(":" + c + " - [0:0]\n")
	}
	for _, r := range appendRules(forward) {
		if r == hookLine {
			b.WriteString("-D" + r[len("-A"):] + "\n")
		}
	}
	for _, c := range chains {
		b.WriteString("-X " + c + "\n")
	}
	b.WriteString("COMMIT\n")
	return true, k.Restore(b.Bytes())
}
