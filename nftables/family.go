package nftables

import (
	"fmt"
	"net/netip"
	"strconv"

	v1 "k8s.io/api/core/v1"
	"sigs.k8s.io/knftables"
)

// family holds what differs between the ip and ip6 tables.
type family struct {
	ipFamily v1.IPFamily
	nft      knftables.Family
	kw       string // "ip" or "ip6" in rules (ip saddr, ip6 daddr)
	addrType string // set element type
	loopback string
}

var (
	familyV4 = family{v1.IPv4Protocol, knftables.IPv4Family, "ip", "ipv4_addr", "127.0.0.0/8"}
	familyV6 = family{v1.IPv6Protocol, knftables.IPv6Family, "ip6", "ipv6_addr", "::1"}
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

// endpoint renders addr:port as a dnat target: IPv6 addresses in brackets.
func (f family) endpoint(ap netip.AddrPort) string { return ap.String() }

func itoa(i int) string { return strconv.Itoa(i) }
