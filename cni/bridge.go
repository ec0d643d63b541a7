package cni

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nodenet/nodenet/internal/netlinkdump"
)

// ensureBridge creates the bridge or adopts an existing one of that name.
// Concurrent ADDs race to create it; EEXIST just means another one won.
func ensureBridge(n *NetConf) (*netlink.Bridge, error) {
	br, err := bridgeByName(n.BridgeName)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if !errors.As(err, &nf) {
			return nil, err
		}
		if br, err = createBridge(n); err != nil {
			return nil, err
		}
	}
	if n.PromiscMode && br.Promisc == 0 {
		if err := netlink.SetPromiscOn(br); err != nil {
			return nil, fmt.Errorf("setting promisc on %s: %w", br.Name, err)
		}
	}
	if err := refuseRouterAdvertisements(br.Name); err != nil {
		return nil, err
	}
	if br.Flags&net.FlagUp == 0 {
		if err := netlink.LinkSetUp(br); err != nil {
			return nil, fmt.Errorf("setting %s up: %w", br.Name, err)
		}
	}
	return br, nil
}

// refuseRouterAdvertisements sets accept_ra=0 on the bridge, as the
// reference plugin does: the node owns the bridge's routes, and otherwise a
// pod's router advertisement could give the node a default route or an
// address (accept_ra defaults to 1, honoured while IPv6 forwarding is off,
// e.g. on an IPv4-only pod network). Read first: it is set already on
// every ADD but the first. A kernel without IPv6 has no such file.
func refuseRouterAdvertisements(bridge string) error {
	path := "/proc/sys/net/ipv6/conf/" + bridge + "/accept_ra"
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && strings.TrimSpace(string(b)) == "0") {
		return nil
	}
	if err == nil {
		err = os.WriteFile(path, []byte("0"), 0o644)
	}
	if err != nil {
		return fmt.Errorf("refusing router advertisements on %s: %w", bridge, err)
	}
	return nil
}

func createBridge(n *NetConf) (*netlink.Bridge, error) {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = n.BridgeName
	attrs.MTU = n.MTU
	attrs.Flags = net.FlagUp
	br := &netlink.Bridge{LinkAttrs: attrs}
	if n.Vlan != 0 {
		on := true
		br.VlanFiltering = &on
	}
	err := netlink.LinkAdd(br)
	if errors.Is(err, syscall.EOPNOTSUPP) && n.Vlan != 0 {
		return nil, errConfig("vlan %d: kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)", n.Vlan)
	}
	if err != nil && !errors.Is(err, syscall.EEXIST) {
		return nil, fmt.Errorf("creating bridge %s: %w", n.BridgeName, err)
	}
	return bridgeByName(n.BridgeName)
}

func bridgeByName(name string) (*netlink.Bridge, error) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("looking up bridge %s: %w", name, err)
	}
	br, ok := l.(*netlink.Bridge)
	if !ok {
		return nil, fmt.Errorf("%s exists and is a %s, not a bridge", name, l.Type())
	}
	return br, nil
}

// ensureGatewayAddrs puts each gateway on the bridge. An existing different
// address in the same family is an error unless forceAddress, as in the
// reference plugin (it would mean two networks fighting over one bridge).
func ensureGatewayAddrs(br netlink.Link, n *NetConf, ips []*current.IPConfig) error {
	for _, ipc := range ips {
		if ipc.Gateway == nil {
			continue
		}
		gw := &net.IPNet{IP: ipc.Gateway, Mask: ipc.Address.Mask}
		if err := ensureAddr(br, gw, n.ForceAddress); err != nil {
			return err
		}
	}
	return nil
}

func ensureAddr(link netlink.Link, want *net.IPNet, force bool) error {
	family := netlink.FAMILY_V6
	if want.IP.To4() != nil {
		family = netlink.FAMILY_V4
	}
	addrs, err := netlinkdump.Retry(func() ([]netlink.Addr, error) { return netlink.AddrList(link, family) })
	if err != nil {
		return fmt.Errorf("listing addresses of %s: %w", link.Attrs().Name, err)
	}
	for _, a := range addrs {
		if a.IPNet.String() == want.String() {
			return nil
		}
		if family == netlink.FAMILY_V6 && a.IP.IsLinkLocalUnicast() {
			continue
		}
		if !a.IPNet.Contains(want.IP) && !want.Contains(a.IP) {
			continue // another network's gateway sharing the bridge
		}
		if !force {
			return errConfig("bridge %s already has address %s, want %s (set forceAddress to replace)", link.Attrs().Name, a.IPNet, want)
		}
		if err := netlink.AddrDel(link, &a); err != nil {
			return fmt.Errorf("removing %s from %s: %w", a.IPNet, link.Attrs().Name, err)
		}
	}
	err = netlink.AddrAdd(link, nodadAddr(want))
	if err != nil && !errors.Is(err, syscall.EEXIST) {
		return fmt.Errorf("adding %s to %s: %w", want, link.Attrs().Name, err)
	}
	return nil
}

// nodadAddr marks IPv6 addresses IFA_F_NODAD: they are unique by IPAM and
// waiting for DAD would add a second or more to every ADD.
func nodadAddr(ipn *net.IPNet) *netlink.Addr {
	a := &netlink.Addr{IPNet: ipn}
	if ipn.IP.To4() == nil {
		a.Flags = unix.IFA_F_NODAD
	}
	return a
}

// enableForwarding turns on routing in the plugin's (host) netns for each
// family used, as isGateway does in the reference plugin. Read first: the
// common case is already-on and a write would be wasted.
func enableForwarding(ips []*current.IPConfig) error {
	for _, ipc := range ips {
		path := "/proc/sys/net/ipv6/conf/all/forwarding"
		if ipc.Address.IP.To4() != nil {
			path = "/proc/sys/net/ipv4/ip_forward"
		}
		if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == "1" {
			continue
		}
		if err := os.WriteFile(path, []byte("1"), 0o644); err != nil {
			return fmt.Errorf("enabling forwarding: %w", err)
		}
	}
	return nil
}
