package firewall

import (
	"fmt"
	"net/netip"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/cni/portfilter"
	"github.com/nodenet/nodenet/iptables"
)

// Kernels are the kernel surfaces the firewall programs.
type Kernels struct {
	// IPv4 and IPv6 are each family's iptables; nil leaves the family
	// unenforced (its iptables is unusable here).
	IPv4, IPv6 iptables.Kernel
	Sets       SetKernel
	// Sysctl turns br_netfilter on; nil leaves sysctls alone.
	Sysctl Sysctl
	// Ports finds the bridge port of a local pod address (broadcast and
	// multicast are filtered by the port they leave by); nil knows none.
	Ports PortMap
	// Guard is the guard table's nftables (guardtable.go); nil runs
	// without it (a bypassed NODENET-FW is then open until repaired).
	Guard knftables.Interface
	// LegacyFilter reads the filter table of each family whose iptables
	// is iptables-legacy (legacywatch.go); others have none.
	LegacyFilter map[bool]LegacyFilter
}

// PortMap returns the (pod address → host bridge port) pairs of the node.
// The real one reads the nodenet CNI plugin's port filter
// (cni/portfilter.Ports).
type PortMap func() (map[netip.Addr]string, error)

// family is one enforced IP family and its iptables.
type family struct {
	ipv6   bool
	kernel iptables.Kernel
}

func (k Kernels) families() []family {
	var out []family
	if k.IPv4 != nil {
		out = append(out, family{false, k.IPv4})
	}
	if k.IPv6 != nil {
		out = append(out, family{true, k.IPv6})
	}
	return out
}

func ipFamilyOf(ipv6 bool) v1.IPFamily {
	if ipv6 {
		return v1.IPv6Protocol
	}
	return v1.IPv4Protocol
}

// RealKernels returns the kernels of the current network namespace: the
// iptables of every usable family (as the proxy decides, iptables.Usable),
// netlink for ipsets and /proc/sys. It fails when no family is usable.
func RealKernels() (Kernels, error) {
	k, err := usableKernels()
	if err == nil && k.IPv4 == nil && k.IPv6 == nil {
		err = fmt.Errorf("no usable iptables family (see the log for why)")
	}
	if err != nil {
		if s, ok := k.Sets.(*NetlinkSets); ok {
			s.Close()
		}
		return Kernels{}, err
	}
	return k, nil
}

// usableKernels is RealKernels without a family being required.
func usableKernels() (Kernels, error) {
	var k Kernels
	for _, fam := range iptables.Families {
		if err := iptables.Usable(fam); err != nil {
			klog.InfoS("NetworkPolicy firewall skips an IP family: its iptables is not usable", "family", fam, "err", err)
			continue
		}
		ker, err := iptables.NewExecKernel(fam)
		if err != nil {
			return Kernels{}, err
		}
		if fam == v1.IPv6Protocol {
			k.IPv6 = ker
		} else {
			k.IPv4 = ker
		}
	}
	sets, err := NewNetlinkSets()
	if err != nil {
		return Kernels{}, err
	}
	k.Sets, k.Sysctl, k.Ports = sets, ProcSysctl{}, portfilter.Ports
	k.LegacyFilter = legacyFilters(k)
	if k.Guard, err = newGuardKernel(); err != nil {
		klog.ErrorS(err, "NetworkPolicy firewall runs without its guard table: a bypassed NODENET-FW stays open until repaired")
		k.Guard = nil
	}
	return k, nil
}
