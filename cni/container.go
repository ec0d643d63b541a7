package cni

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netlink"
)

// configurePod sets up the pod end through a netlink handle bound to the pod
// netns: no goroutine ever changes namespace, so nothing can leak a thread
// into the wrong netns. Order matters: the link goes up before addresses are
// added so the kernel installs the subnet routes the gateway routes need.
func configurePod(h *netlink.Handle, ifname string, res *current.Result, up bool) (netlink.Link, error) {
	lo, err := h.LinkByName("lo")
	if err != nil {
		return nil, fmt.Errorf("pod lo: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return nil, fmt.Errorf("pod lo up: %w", err)
	}
	link, err := h.LinkByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("pod %s: %w", ifname, err)
	}
	if !up {
		return link, nil // layer 2 only (disableContainerInterface): no addresses either
	}
	if err := h.LinkSetUp(link); err != nil {
		return nil, fmt.Errorf("pod %s up: %w", ifname, err)
	}
	for _, ipc := range res.IPs {
		ipn := ipc.Address
		if err := h.AddrAdd(link, nodadAddr(&ipn)); err != nil && !errors.Is(err, syscall.EEXIST) {
			return nil, fmt.Errorf("adding %s to pod %s: %w", ipn.String(), ifname, err)
		}
	}
	for _, r := range res.Routes {
		if err := h.RouteReplace(podRoute(link, r, res.IPs)); err != nil {
			return nil, fmt.Errorf("pod route %s: %w", r, err)
		}
	}
	return link, nil
}

// podRoute converts a CNI route; a route without gw goes via the gateway
// of the same family, as the reference ipam.ConfigureIface does.
func podRoute(link netlink.Link, r *types.Route, ips []*current.IPConfig) *netlink.Route {
	gw := r.GW
	if gw == nil {
		gw = gatewayFor(r.Dst.IP, ips)
	}
	dst := r.Dst
	nr := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: &dst, Gw: gw, MTU: r.MTU, AdvMSS: r.AdvMSS, Priority: r.Priority}
	if r.Table != nil {
		nr.Table = *r.Table
	}
	if r.Scope != nil {
		nr.Scope = netlink.Scope(*r.Scope)
	}
	return nr
}

func gatewayFor(dst net.IP, ips []*current.IPConfig) net.IP {
	v4 := dst.To4() != nil
	for _, ipc := range ips {
		if ipc.Gateway != nil && (ipc.Address.IP.To4() != nil) == v4 {
			return ipc.Gateway
		}
	}
	return nil
}

// addDefaultRoutes implements isDefaultGateway: a default route per family
// via that family's gateway, unless IPAM already supplied one.
func addDefaultRoutes(res *current.Result) {
	for _, ipc := range res.IPs {
		if ipc.Gateway == nil {
			continue
		}
		v4 := ipc.Address.IP.To4() != nil
		def := net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}
		if v4 {
			def = net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}
		}
		if hasRoute(res.Routes, def) {
			continue
		}
		res.Routes = append(res.Routes, &types.Route{Dst: def, GW: ipc.Gateway})
	}
}

func hasRoute(routes []*types.Route, dst net.IPNet) bool {
	for _, r := range routes {
		if r.Dst.String() == dst.String() {
			return true
		}
	}
	return false
}
