package ipvs

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// netlinkAddrs is the real Addrs.
type netlinkAddrs struct {
	h *netlink.Handle
	// dummy is DummyName as EnsureDummy last found or made it: Bind and
	// Unbind use it without a lookup each (a full sync binds every
	// ClusterIP: 10k lookups were a sixth of its netlink time under
	// emulation). Gone from the kernel, the next address change fails,
	// the sync with it, and the full sync after it looks again.
	dummy netlink.Link
}

// NewAddrs manages DummyName in the network namespace at nsPath ("" =
// the current one).
func NewAddrs(nsPath string) (Addrs, error) {
	if nsPath == "" {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		return &netlinkAddrs{h: h}, err
	}
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	// Route only: a handle for every family fails where a family's
	// module is not loaded (xfrm_user in the test VM).
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	return &netlinkAddrs{h: h}, err
}

func (a *netlinkAddrs) link() (netlink.Link, error) {
	l, err := a.h.LinkByName(DummyName)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return nil, nil
	}
	return l, err
}

func (a *netlinkAddrs) EnsureDummy() error {
	l, err := a.link()
	if err != nil {
		return err
	}
	if l == nil {
		l = &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: DummyName}}
		if err := a.h.LinkAdd(l); err != nil {
			return fmt.Errorf("creating %s: %w", DummyName, err)
		}
	}
	if err := a.h.LinkSetUp(l); err != nil {
		return fmt.Errorf("setting %s up: %w", DummyName, err)
	}
	a.dummy = l
	return nil
}

// cachedLink is the dummy EnsureDummy saw, else a lookup.
func (a *netlinkAddrs) cachedLink() (netlink.Link, error) {
	if a.dummy != nil {
		return a.dummy, nil
	}
	return a.link()
}

// Bound lists the local routes on the dummy, and its addresses (a
// frontend bound by an older nodenet, which bound addresses).
func (a *netlinkAddrs) Bound() ([]netip.Addr, error) {
	l, err := a.link()
	if err != nil || l == nil {
		return nil, err
	}
	routes, err := a.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_LOCAL, LinkIndex: l.Attrs().Index},
		netlink.RT_FILTER_TABLE|netlink.RT_FILTER_OIF)
	if err != nil {
		return nil, fmt.Errorf("listing %s's local routes: %w", DummyName, err)
	}
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	add := func(ip net.IP) {
		// The kernel's own link-local address of the dummy is no frontend.
		if addr, ok := netip.AddrFromSlice(ip); ok && !addr.Unmap().IsLinkLocalUnicast() && !seen[addr.Unmap()] {
			seen[addr.Unmap()] = true
			out = append(out, addr.Unmap())
		}
	}
	for _, r := range routes {
		if r.Type == unix.RTN_LOCAL && r.Dst != nil {
			if ones, bits := r.Dst.Mask.Size(); ones == bits {
				add(r.Dst.IP)
			}
		}
	}
	list, err := a.h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("listing %s's addresses: %w", DummyName, err)
	}
	for _, addr := range list {
		add(addr.IP)
	}
	return out, nil
}

// localRoute makes ip local to the node through the dummy: a host route
// of type local in the local table, which is what the kernel adds for an
// address, without the address. IPv4 keeps an interface's addresses in
// a list that each add walks (twice: __inet_insert_ifa and
// find_matching_ifa), so binding 10k ClusterIPs as addresses was
// quadratic: under emulation the last thousand took 16 times the first,
// half of a 10k full sync. A route goes into the FIB trie. The node
// answers and delivers to the address as before (the local route is what
// decides: ip_route_input, ARP's inet_addr_type, addrtype LOCAL), and
// strict ARP still hides it (arp_ignore=1 asks for an address of the
// receiving link). IPv4 keeps the address as the preferred source, as
// the kernel's own route does; IPv6 accepts only a configured address
// there, so the kernel picks one of the node's. Protocol kernel, as the
// kernel's own: network managers that flush foreign routes leave those.
func localRoute(l netlink.Link, ip netip.Addr) *netlink.Route {
	r := &netlink.Route{LinkIndex: l.Attrs().Index, Table: unix.RT_TABLE_LOCAL, Type: unix.RTN_LOCAL,
		Scope: netlink.SCOPE_HOST, Protocol: unix.RTPROT_KERNEL,
		Dst: &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(ip.BitLen(), ip.BitLen())}}
	if ip.Is4() {
		r.Src = ip.AsSlice()
	}
	return r
}

func (a *netlinkAddrs) Bind(ip netip.Addr) error {
	l, err := a.cachedLink()
	if err != nil || l == nil {
		return fmt.Errorf("binding %s: %s missing: %w", ip, DummyName, err)
	}
	if err := a.h.RouteReplace(localRoute(l, ip)); err != nil {
		return fmt.Errorf("binding %s to %s: %w", ip, DummyName, err)
	}
	return nil
}

// Unbind deletes ip's local route, and the address an older nodenet may
// have bound.
func (a *netlinkAddrs) Unbind(ip netip.Addr) error {
	l, err := a.cachedLink()
	if err != nil || l == nil {
		return err
	}
	if err := a.h.RouteDel(localRoute(l, ip)); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("unbinding %s from %s: %w", ip, DummyName, err)
	}
	if err := a.h.AddrDel(l, hostAddr(ip)); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
		return fmt.Errorf("unbinding %s from %s: %w", ip, DummyName, err)
	}
	return nil
}

func (a *netlinkAddrs) DeleteDummy() error {
	a.dummy = nil
	l, err := a.link()
	if err != nil || l == nil {
		return err
	}
	return a.h.LinkDel(l)
}

// procSysctls is the real Sysctls, writing /proc/sys of the current
// network namespace.
type procSysctls struct{}

// NewSysctls returns the real Sysctls.
func NewSysctls() Sysctls { return procSysctls{} }

func (procSysctls) Set(key, value string) error {
	path := filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", key, value, err)
	}
	return nil
}

func hostAddr(a netip.Addr) *netlink.Addr {
	p := netip.PrefixFrom(a, a.BitLen())
	addr, _ := netlink.ParseAddr(p.String())
	return addr
}
