package conntrack

import (
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Netlink is the Kernel of a network namespace: the agent's own, or that
// of Handle when it is set (tests open one in a namespace they made).
type Netlink struct {
	Handle *netlink.Handle
}

func (n Netlink) handle() *netlink.Handle {
	if n.Handle != nil {
		return n.Handle
	}
	return &netlink.Handle{} // what netlink's package functions use
}

func inetFamily(ipv6 bool) netlink.InetFamily {
	if ipv6 {
		return unix.AF_INET6
	}
	return unix.AF_INET
}

// List implements Kernel.
func (n Netlink) List(ipv6 bool) ([]Entry, error) {
	flows, err := n.handle().ConntrackTableList(netlink.ConntrackTable, inetFamily(ipv6))
	out := make([]Entry, 0, len(flows))
	for _, f := range flows {
		out = append(out, entryOf(f))
	}
	return out, err
}

func entryOf(f *netlink.ConntrackFlow) Entry {
	return Entry{
		Protocol:    f.Forward.Protocol,
		OrigSrc:     addrOf(f.Forward.SrcIP),
		OrigSrcPort: f.Forward.SrcPort,
		OrigDst:     addrOf(f.Forward.DstIP),
		OrigDstPort: f.Forward.DstPort,
		ReplySrc:    addrOf(f.Reverse.SrcIP),
	}
}

func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// DeleteMatching implements Kernel. netlink dumps the family's table and
// deletes, one request each, the entries the filter set matches.
func (n Netlink) DeleteMatching(ipv6 bool, filters []Filter) (int, error) {
	deleted, err := n.handle().ConntrackDeleteFilters(netlink.ConntrackTable, inetFamily(ipv6), flowMatcher{NewFilterSet(filters)})
	return int(deleted), err
}

// flowMatcher lets netlink match its flows against a FilterSet.
type flowMatcher struct{ set FilterSet }

func (m flowMatcher) MatchConntrackFlow(f *netlink.ConntrackFlow) bool {
	return m.set.Matches(entryOf(f))
}
