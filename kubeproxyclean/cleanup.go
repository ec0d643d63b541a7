// Package kubeproxyclean removes what upstream kube-proxy leaves on a node
// once it is stopped (`nodenet cleanup --kube-proxy`): its iptables chains
// and the rules jumping to them, in both families and in both iptables
// variants (legacy and nft) where their tools are installed, its
// nftables tables `ip kube-proxy` and `ip6 kube-proxy`, and what its IPVS
// mode made: its virtual servers (ipvs.go: ownedVirtualServer), the link
// kube-ipvs0 and its ipsets. Nothing else: other programs' rules and
// virtual servers, kubelet's KUBE-* chains (names.go) and sysctls stay.
package kubeproxyclean

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/nodenet/nodenet/nodeport"
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

// Surfaces are the kernel surfaces the cleanup works on; a nil one is a
// tool or kernel feature the node does not have.
type Surfaces struct {
	Iptables []Iptables
	Nft      Nftables
	// IPVS is nil where the kernel has no IPVS (no virtual server can
	// exist); Links, Ipsets and LocalAddrs are used all the same.
	IPVS       VirtualServers
	Links      Links
	Ipsets     Ipsets
	LocalAddrs nodeport.AddrLister
}

// Cleanup removes kube-proxy's leftovers from the current network
// namespace with the installed tools, reporting each step to w.
func Cleanup(w io.Writer) error {
	s, err := SystemSurfaces()
	if err != nil {
		return err
	}
	return CleanupWith(w, s)
}

// CleanupWith is Cleanup on given kernel surfaces. One step failing does
// not stop the others; every failure is returned. With nothing of
// kube-proxy's left it changes nothing and succeeds. Order: the ipsets
// are read first (they name kube-proxy's NodePorts), then the virtual
// servers and kube-ipvs0 go, then the chains, and the sets last (a set
// that a rule uses cannot be destroyed).
func CleanupWith(w io.Writer, s Surfaces) error {
	var errs []error
	st, err := readIpsets(s.Ipsets)
	errs = append(errs, err)
	if s.Links != nil {
		errs = append(errs, cleanVirtualServers(w, s, st))
	}
	for _, ipt := range s.Iptables {
		errs = append(errs, cleanIptables(w, ipt))
	}
	if s.Nft != nil {
		errs = append(errs, cleanNftables(w, s.Nft))
	}
	if s.Ipsets != nil {
		errs = append(errs, destroySets(w, s.Ipsets, st))
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
