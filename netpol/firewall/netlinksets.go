package firewall

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetlinkSets is the SetKernel of one network namespace, over netlink.
type NetlinkSets struct {
	h *netlink.Handle
	// list is a socket of its own for dumps (netlinklist.go).
	list map[int]*nl.SocketHandle
}

var _ SetKernel = (*NetlinkSets)(nil)

// NewNetlinkSets opens a netfilter netlink socket in the calling thread's
// network namespace; later calls keep using that namespace.
func NewNetlinkSets() (*NetlinkSets, error) {
	h, err := netlink.NewHandle(unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	sock, err := nl.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_NETFILTER)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("netlink: %w", err)
	}
	return &NetlinkSets{h: h, list: map[int]*nl.SocketHandle{unix.NETLINK_NETFILTER: {Socket: sock}}}, nil
}

// Close releases the netlink sockets.
func (s *NetlinkSets) Close() {
	s.h.Close()
	for _, sh := range s.list {
		sh.Close()
	}
}

// maxSetMembers caps every set. ipset's default, 65536, is less than a
// large cluster's pods (Kubernetes supports 150,000), all of which a peer
// such as "from any namespace" holds: past it every sync would fail. A
// hash set only grows its memory with its members, so the cap costs
// nothing until used.
const maxSetMembers = 1 << 20

// CreateSet implements SetKernel.
func (s *NetlinkSets) CreateSet(name string, kind SetKind, ipv6 bool) error {
	fam := uint8(unix.AF_INET)
	if ipv6 {
		fam = unix.AF_INET6
	}
	return s.h.IpsetCreate(name, string(kind), netlink.IpsetCreateOptions{Family: fam, MaxElements: maxSetMembers})
}

// AddMember implements SetKernel; Replace makes it `ipset add -exist`.
func (s *NetlinkSets) AddMember(name string, member netip.Prefix) error {
	e := entryOf(member)
	e.Replace = true
	return s.h.IpsetAdd(name, e)
}

// DelMember implements SetKernel.
func (s *NetlinkSets) DelMember(name string, member netip.Prefix) error {
	return s.h.IpsetDel(name, entryOf(member))
}

// DestroySet implements SetKernel.
func (s *NetlinkSets) DestroySet(name string) error { return s.h.IpsetDestroy(name) }

// entryOf is a member as netlink wants it: a host without CIDR (what
// hash:ip takes), a network with it.
func entryOf(p netip.Prefix) *netlink.IPSetEntry {
	e := &netlink.IPSetEntry{IP: net.IP(p.Addr().AsSlice())}
	if p.Bits() < p.Addr().BitLen() {
		e.CIDR = uint8(p.Bits())
	}
	return e
}
