package iptables

import (
	"fmt"
	"net/netip"

	v1 "k8s.io/api/core/v1"
)

// family holds what differs between the IPv4 and IPv6 rulesets.
type family struct {
	ipFamily   v1.IPFamily
	restore    string // iptables-restore binary
	save       string // iptables-save binary
	hostBits   int
	rejectICMP string
}

var (
	familyV4 = family{v1.IPv4Protocol, "iptables-restore", "iptables-save", 32, "icmp-port-unreachable"}
	familyV6 = family{v1.IPv6Protocol, "ip6tables-restore", "ip6tables-save", 128, "icmp6-port-unreachable"}
)

func familyFor(f v1.IPFamily) (family, error) {
	switch f {
	case v1.IPv4Protocol, "":
		return familyV4, nil
	case v1.IPv6Protocol:
		return familyV6, nil
	}
	return family{}, fmt.Errorf("unknown IP family %q", f)
}

func (f family) owns(a netip.Addr) bool { return a.Is4() == f.is4() }

func (f family) is4() bool { return f.ipFamily == v1.IPv4Protocol }

// shardOf puts an address in the shard of its last byte. Service,
// external and load-balancer IPs are allocated at random in their ranges,
// so the last byte spreads them evenly over the 256 shards.
func (f family) shardOf(a netip.Addr) shardID {
	b := a.AsSlice()
	return shardID{kind: addrShard, index: int(b[len(b)-1])}
}

// shardMatch is the dispatch match for an address shard: the kernel
// compares (daddr & mask) == value, and non-contiguous masks are valid.
func (f family) shardMatch(index int) string {
	if f.ipFamily == v1.IPv6Protocol {
		return fmt.Sprintf("-d ::%x/::ff", index)
	}
	return fmt.Sprintf("-d 0.0.0.%d/0.0.0.255", index)
}

func (f family) host(a netip.Addr) string { return fmt.Sprintf("%s/%d", a, f.hostBits) }
