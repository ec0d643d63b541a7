package firewall

import (
	"net/netip"
	"slices"
)

// SetKind is an ipset type.
type SetKind string

const (
	// SetOfAddrs holds pod and node IPs (hash:ip).
	SetOfAddrs SetKind = "hash:ip"
	// SetOfNets holds an ipBlock's exceptions (hash:net).
	SetOfNets SetKind = "hash:net"
)

// SetInfo is one ipset as the kernel lists it.
type SetInfo struct {
	Name string
	Kind SetKind
	IPv6 bool
	// Members are prefixes; a hash:ip member is a full-length prefix.
	Members []netip.Prefix
}

// SetKernel is the narrow ipset surface the firewall needs. The real one
// talks netlink (netlinksets.go); FakeSets keeps sets in memory.
type SetKernel interface {
	// CreateSet creates an empty set; it fails if the set exists.
	CreateSet(name string, kind SetKind, ipv6 bool) error
	// AddMember adds member; adding an existing member is fine.
	AddMember(name string, member netip.Prefix) error
	// DelMember removes member.
	DelMember(name string, member netip.Prefix) error
	// ListSets lists every set of the network namespace with its members.
	ListSets() ([]SetInfo, error)
	// DestroySet removes a set no rule references.
	DestroySet(name string) error
}

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

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// hostPrefix is an address as a hash:ip member.
func hostPrefix(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }
