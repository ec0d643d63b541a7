// Package setkernel is the narrow ipset surface of the NetworkPolicy
// firewall: its types live here, not in package firewall, so that the
// stateful fake (package firewalltest) can implement it without importing
// the firewall, and the firewall's own tests can use the fake.
package setkernel

import "net/netip"

// Kind is an ipset type.
type Kind string

const (
	// Addrs holds pod and node IPs (hash:ip).
	Addrs Kind = "hash:ip"
	// Nets holds an ipBlock's exceptions (hash:net).
	Nets Kind = "hash:net"
)

// MaxName is the longest ipset name (IPSET_MAXNAMELEN 32 with the NUL).
const MaxName = 31

// Info is one ipset as the kernel lists it.
type Info struct {
	Name string
	Kind Kind
	IPv6 bool
	// Members are prefixes; a hash:ip member is a full-length prefix.
	Members []netip.Prefix
}

// Kernel is what the firewall does with ipsets. The real one talks
// netlink (package firewall, netlinksets.go); firewalltest.FakeSets keeps
// sets in memory.
type Kernel interface {
	// CreateSet creates an empty set; it fails if the set exists.
	CreateSet(name string, kind Kind, ipv6 bool) error
	// AddMember adds member; adding an existing member is fine.
	AddMember(name string, member netip.Prefix) error
	// DelMember removes member.
	DelMember(name string, member netip.Prefix) error
	// ListSets lists every set of the network namespace with its members.
	ListSets() ([]Info, error)
	// DestroySet removes a set no rule references.
	DestroySet(name string) error
}

// ComparePrefix orders members by address, then length.
func ComparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
