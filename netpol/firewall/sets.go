package firewall

import (
	"net/netip"
	"slices"

	"github.com/nodenet/nodenet/netpol/firewall/setkernel"
)

// The set surface's types live in package setkernel so that its fake
// (firewalltest) needs no import of this package.
type (
	// SetKind is an ipset type.
	SetKind = setkernel.Kind
	// SetInfo is one ipset as the kernel lists it.
	SetInfo = setkernel.Info
	// SetKernel is the narrow ipset surface the firewall needs.
	SetKernel = setkernel.Kernel
)

const (
	// SetOfAddrs holds pod and node IPs (hash:ip).
	SetOfAddrs = setkernel.Addrs
	// SetOfNets holds an ipBlock's exceptions (hash:net).
	SetOfNets = setkernel.Nets
)

// setSpec is a set as the firewall wants it.
type setSpec struct {
	kind    SetKind
	ipv6    bool
	members []netip.Prefix // sorted, unique
}

func newSetSpec(kind SetKind, ipv6 bool, members []netip.Prefix) *setSpec {
	slices.SortFunc(members, comparePrefix)
	return &setSpec{kind: kind, ipv6: ipv6, members: slices.Compact(members)}
}

func comparePrefix(a, b netip.Prefix) int { return setkernel.ComparePrefix(a, b) }

// hostPrefix is an address as a hash:ip member.
func hostPrefix(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }
