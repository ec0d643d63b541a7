// Package kubeproxyclean removes what upstream kube-proxy leaves on a node
// once it is stopped (`nodenet cleanup --kube-proxy`): its iptables chains
// and the rules jumping to them, in both families and in both iptables
// variants (legacy and nft) where their tools are installed, and its
// nftables tables `ip kube-proxy` and `ip6 kube-proxy`. Nothing else: other
// programs' rules, kubelet's KUBE-* chains (names.go) and sysctls stay.
//
// IPVS (kube-proxy's virtual servers, kube-ipvs0 and the ipvs mode's
// ipsets) is not handled yet (README.md).
package kubeproxyclean

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// Iptables is one iptables binary set (a family in one variant) of the
// current network namespace.
type Iptables interface {
	Name() string // e.g. "ip6tables-legacy", for messages
	// Save returns every table in iptables-save format.
	Save() (string, error)
	// Restore applies payload with --noflush: only declared chains are flushed.
	Restore(payload []byte) error
}

// Nftables is the part of nft the cleanup needs.
type Nftables interface {
	// Tables lists the tables as "family name", e.g. "ip kube-proxy".
	Tables() ([]string, error)
	DeleteTable(family, name string) error
}

// Cleanup removes kube-proxy's leftovers from the current network
// namespace with the installed tools, reporting each step to w.
func Cleanup(w io.Writer) error {
	return CleanupWith(w, SystemIptables(), SystemNftables())
}

// CleanupWith is Cleanup on given kernel surfaces (nft nil: no nft tool).
// One failing does not stop the others; every failure is returned. With
// nothing of kube-proxy's left it changes nothing and succeeds.
func CleanupWith(w io.Writer, ipts []Iptables, nft Nftables) error {
	var errs []error
	for _, ipt := range ipts {
		errs = append(errs, cleanIptables(w, ipt))
	}
	if nft != nil {
		errs = append(errs, cleanNftables(w, nft))
	}
	return errors.Join(errs...)
}

func cleanIptables(w io.Writer, ipt Iptables) error {
	save, err := ipt.Save()
	if err != nil {
		return fmt.Errorf("%s: %w", ipt.Name(), err)
	}
	payload := plan(save)
	if len(payload) == 0 {
		fmt.Fprintf(w, "No kube-proxy chains in %s.\n", ipt.Name())
		return nil
	}
	if err := ipt.Restore(payload); err != nil {
		return fmt.Errorf("%s: removing kube-proxy's chains: %w", ipt.Name(), err)
	}
	fmt.Fprintf(w, "Removed kube-proxy's chains from %s.\n", ipt.Name())
	return nil
}

func cleanNftables(w io.Writer, nft Nftables) error {
	tables, err := nft.Tables()
	if err != nil {
		return fmt.Errorf("nft: %w", err)
	}
	var errs []error
	for _, family := range []string{"ip", "ip6"} {
		if !slices.Contains(tables, family+" "+nftTable) {
			continue
		}
		if err := nft.DeleteTable(family, nftTable); err != nil {
			errs = append(errs, fmt.Errorf("nft: deleting table %s %s: %w", family, nftTable, err))
			continue
		}
		fmt.Fprintf(w, "Removed nftables table %s %s.\n", family, nftTable)
	}
	return errors.Join(errs...)
}
