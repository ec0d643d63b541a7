package podroutes

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
)

// Kernel is the kernel surface: the routes of the main table that carry
// nodenet's route protocol. Routes of other protocols are never listed or
// deleted; Replace, like `ip route replace`, does take over another
// route to the same destination (a pod CIDR is the cluster's to route).
type Kernel interface {
	// Routes lists the routes with nodenet's protocol, both families.
	Routes() ([]Route, error)
	// Replace adds r, or changes the gateway of the route to r.Dst.
	Replace(r Route) error
	// Delete removes r; deleting a route that is gone is not an error.
	Delete(r Route) error
}

// Protocol marks nodenet's routes (rtm_protocol): `ip route show proto
// 110` lists them. 110 is not assigned in iproute2's rt_protos (flannel
// uses "boot", bird 12, zebra 11, Calico 80), so an unrelated daemon is
// not expected to claim it.
const Protocol = netlink.RouteProtocol(110)

// Netlink is Kernel over rtnetlink in the agent's network namespace.
type Netlink struct{}

var _ Kernel = Netlink{}

func (Netlink) Routes() ([]Route, error) {
	filter := &netlink.Route{Protocol: Protocol, Table: syscall.RT_TABLE_MAIN}
	list, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("listing pod routes: %w", err)
	}
	routes := make([]Route, 0, len(list))
	for _, r := range list {
		if r.Dst == nil || r.Gw == nil {
			continue // not a shape this package writes
		}
		dst, ok1 := prefixOf(r.Dst)
		via, ok2 := netip.AddrFromSlice(r.Gw)
		if ok1 && ok2 {
			routes = append(routes, Route{Dst: dst, Via: via.Unmap()})
		}
	}
	return routes, nil
}

func (Netlink) Replace(r Route) error {
	if err := netlink.RouteReplace(toNetlink(r)); err != nil {
		return fmt.Errorf("route %s via %s: %w", r.Dst, r.Via, err)
	}
	return nil
}

func (Netlink) Delete(r Route) error {
	if err := netlink.RouteDel(toNetlink(r)); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("deleting route %s via %s: %w", r.Dst, r.Via, err)
	}
	return nil
}

func toNetlink(r Route) *netlink.Route {
	return &netlink.Route{
		Dst:      &net.IPNet{IP: r.Dst.Addr().AsSlice(), Mask: net.CIDRMask(r.Dst.Bits(), r.Dst.Addr().BitLen())},
		Gw:       r.Via.AsSlice(),
		Protocol: Protocol,
		Table:    syscall.RT_TABLE_MAIN,
	}
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	ip, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(ip.Unmap(), ones), true
}
