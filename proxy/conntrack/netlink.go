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
// matches in user space, so all filters of a call share one walk.
func (n Netlink) DeleteMatching(ipv6 bool, filters []Filter) (int, error) {
	nfs := make([]netlink.CustomConntrackFilter, 0, len(filters))
	for _, f := range filters {
		nf, err := toNetlink(f)
		if err != nil {
			return 0, err
		}
		nfs = append(nfs, nf)
	}
	deleted, err := n.handle().ConntrackDeleteFilters(netlink.ConntrackTable, inetFamily(ipv6), nfs...)
	return int(deleted), err
}

func toNetlink(f Filter) (*netlink.ConntrackFilter, error) {
	nf := &netlink.ConntrackFilter{}
	if err := nf.AddProtocol(f.Protocol); err != nil {
		return nil, err
	}
	if f.OrigDst.IsValid() {
		if err := nf.AddIP(netlink.ConntrackOrigDstIP, net.IP(f.OrigDst.AsSlice())); err != nil {
			return nil, err
		}
	}
	if f.OrigDstPort != 0 {
		if err := nf.AddPort(netlink.ConntrackOrigDstPort, f.OrigDstPort); err != nil {
			return nil, err
		}
	}
	if f.ReplySrc.IsValid() {
		if err := nf.AddIP(netlink.ConntrackReplySrcIP, net.IP(f.ReplySrc.AsSlice())); err != nil {
			return nil, err
		}
	}
	return nf, nil
}
