package conntrack

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Netlink is the Table of the current network namespace.
type Netlink struct{}

// Delete walks the conntrack table once per IP family (netlink dumps it
// and filters in user space), so all filters of a sync share one walk.
func (Netlink) Delete(filters []Filter) (int, error) {
	byFamily := map[netlink.InetFamily][]netlink.CustomConntrackFilter{}
	for _, f := range filters {
		nf, err := toNetlink(f)
		if err != nil {
			return 0, err
		}
		fam := netlink.InetFamily(unix.AF_INET)
		if f.is6() {
			fam = unix.AF_INET6
		}
		byFamily[fam] = append(byFamily[fam], nf)
	}
	total := 0
	for fam, fs := range byFamily {
		n, err := netlink.ConntrackDeleteFilters(netlink.ConntrackTable, fam, fs...)
		total += int(n)
		if err != nil {
			return total, fmt.Errorf("delete conntrack entries: %w", err)
		}
	}
	return total, nil
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
