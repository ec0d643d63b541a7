package cni

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nodenet/nodenet/cni/portfilter"
	"github.com/nodenet/nodenet/internal/netlinkdump"
)

// cmdCheck compares the live attachment with prevResult. A missing netns is
// code 3 (container unknown); any other difference is ErrDrift (100) with
// a message naming what differs.
func cmdCheck(args *skel.CmdArgs) error {
	n, err := loadArgs(args)
	if err != nil {
		return err
	}
	if n.PrevResult == nil {
		return errConfig("CHECK requires prevResult")
	}
	prev, err := current.NewResultFromResult(n.PrevResult)
	if err != nil {
		return errDecode("prevResult: %v", err)
	}
	if err := n.ipam().check(args, prev); err != nil {
		return err
	}
	podNS, err := openPodNS(args.Netns)
	if err != nil {
		return err
	}
	defer podNS.Close()
	h, err := netlink.NewHandleAt(podNS, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink handle in pod netns: %w", err)
	}
	defer h.Close()
	pod, err := checkPod(h, args, prev, !n.DisableContainerInterface)
	if err != nil {
		return err
	}
	hostName := hostVethName(args.ContainerID, args.IfName)
	if err := checkHost(n, hostName, pod); err != nil {
		return err
	}
	if err := checkPortFilter(hostName, prev.IPs); err != nil {
		return err
	}
	return checkMasq(n, args, prev.IPs)
}

// checkPortFilter: each address of the attachment is enrolled for its
// port in the bridge port filter (package portfilter); one missing cuts
// the pod's traffic from it.
func checkPortFilter(hostName string, ips []*current.IPConfig) error {
	if len(ips) == 0 {
		return nil
	}
	ports, err := portfilter.Ports()
	if err != nil {
		return err
	}
	for _, ipc := range ips {
		addr, ok := netip.AddrFromSlice(ipc.Address.IP)
		if !ok {
			continue
		}
		if got := ports[addr.Unmap()]; got != hostName {
			return errDrift("port filter: %s is not enrolled for port %s (its traffic is dropped at the bridge)", addr.Unmap(), hostName)
		}
	}
	return nil
}

// checkPod compares the pod interface with prevResult and returns it.
func checkPod(h *netlink.Handle, args *skel.CmdArgs, prev *current.Result, wantUp bool) (netlink.Link, error) {
	ifname := args.IfName
	link, err := h.LinkByName(ifname)
	if err != nil {
		return nil, errDrift("pod interface %s missing: %v", ifname, err)
	}
	if _, ok := link.(*netlink.Veth); !ok {
		return nil, errDrift("pod interface %s is a %s, not a veth", ifname, link.Type())
	}
	if wantUp && link.Attrs().Flags&net.FlagUp == 0 {
		return nil, errDrift("pod interface %s is down", ifname)
	}
	if mac := prevMAC(prev, ifname, args.Netns); mac != "" && mac != link.Attrs().HardwareAddr.String() {
		return nil, errDrift("pod interface %s has MAC %s, not %s", ifname, link.Attrs().HardwareAddr, mac)
	}
	addrs, err := netlinkdump.Retry(func() ([]netlink.Addr, error) { return h.AddrList(link, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("listing pod addresses: %w", err)
	}
	for _, ipc := range prev.IPs {
		if !hasAddr(addrs, ipc.Address) {
			return nil, errDrift("pod interface %s lacks address %s", ifname, ipc.Address.String())
		}
	}
	routes, err := netlinkdump.Retry(func() ([]netlink.Route, error) { return h.RouteList(link, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("listing pod routes: %w", err)
	}
	for _, r := range prev.Routes {
		if !hasLiveRoute(routes, r, prev.IPs) {
			return nil, errDrift("pod route %s missing", routeString(r))
		}
	}
	return link, nil
}

// prevMAC is the MAC prevResult recorded for the pod interface, if any.
func prevMAC(prev *current.Result, ifname, sandbox string) string {
	for _, i := range prev.Interfaces {
		if i.Name == ifname && i.Sandbox == sandbox {
			return i.Mac
		}
	}
	return ""
}

func hasAddr(addrs []netlink.Addr, want net.IPNet) bool {
	for _, a := range addrs {
		if a.IPNet.String() == want.String() {
			return true
		}
	}
	return false
}

func hasLiveRoute(live []netlink.Route, want *types.Route, ips []*current.IPConfig) bool {
	gw := want.GW
	if gw == nil {
		gw = gatewayFor(want.Dst.IP, ips)
	}
	for _, r := range live {
		if routeDst(r, want.Dst.IP) == want.Dst.String() && (gw == nil || gw.Equal(r.Gw)) {
			return true
		}
	}
	return false
}

// routeDst renders a live route's destination; the kernel reports default
// routes without a Dst.
func routeDst(r netlink.Route, like net.IP) string {
	if r.Dst != nil {
		return r.Dst.String()
	}
	if like.To4() != nil {
		return "0.0.0.0/0"
	}
	return "::/0"
}

// checkHost verifies the host end: our veth, the pod interface's peer, a
// port of the bridge with the configured flags.
func checkHost(n *NetConf, hostName string, pod netlink.Link) error {
	br, err := bridgeByName(n.BridgeName)
	if err != nil {
		return errDrift("bridge: %v", err)
	}
	// One way only: promiscMode false means "do not set it", and a packet
	// capture on the bridge (tcpdump) raises the promiscuity count too.
	if n.PromiscMode && br.Promisc == 0 {
		return errDrift("bridge %s is not in promiscuous mode, the config asks for it", n.BridgeName)
	}
	host, err := netlink.LinkByName(hostName)
	if err != nil {
		return errDrift("host veth %s missing: %v", hostName, err)
	}
	// A veth's link index is its peer's: each end must name the other.
	if host.Attrs().ParentIndex != pod.Attrs().Index || pod.Attrs().ParentIndex != host.Attrs().Index {
		return errDrift("host veth %s is not the peer of the pod's %s", hostName, pod.Attrs().Name)
	}
	if host.Attrs().MasterIndex != br.Index {
		return errDrift("host veth %s is not a port of %s", hostName, n.BridgeName)
	}
	if n.HairpinMode {
		pi, err := netlink.LinkGetProtinfo(host)
		if err != nil {
			return fmt.Errorf("reading port flags of %s: %w", hostName, err)
		}
		if !pi.Hairpin {
			return errDrift("hairpin mode off on %s", hostName)
		}
	}
	return nil
}

// checkMasq verifies each address is masqueraded: a member of its family's
// pod set owned by this attachment, with the shared chain and jump in
// place. CHECK is rare, so reading the rules with iptables-save is fine.
func checkMasq(n *NetConf, args *skel.CmdArgs, ips []*current.IPConfig) error {
	if !n.masquerades() {
		return nil
	}
	key := attachmentKey(args.ContainerID, args.IfName)
	for _, f := range familiesOf(ips) {
		save, err := saveNAT(f)
		if err != nil {
			return err
		}
		set := podSetName(n.Name, f)
		members, err := ownedMembers(set, key)
		if err != nil {
			return err
		}
		for _, ipc := range ips {
			if familyOf(ipc.Address.IP) == f && !containsIP(members, ipc.Address.IP) {
				return errDrift("masquerade: %s is not in ipset %s", ipc.Address.IP, set)
			}
		}
		if err := checkSharedChain(save, n.Name); err != nil {
			return err
		}
	}
	return nil
}

func checkSharedChain(save, network string) error {
	chain := sharedMasqChain(network)
	if !chainDeclared(save, chain) {
		return errDrift("masquerade chain %s missing", chain)
	}
	if !hasRule(save, "-A "+chain+" ", " -j MASQUERADE") {
		return errDrift("masquerade chain %s has no MASQUERADE rule", chain)
	}
	if !hasJump(save, chain) {
		return errDrift("POSTROUTING jump to masquerade chain %s missing", chain)
	}
	return nil
}

// hasRule reports whether a line of iptables-save output starts with
// prefix and ends with suffix.
func hasRule(save, prefix, suffix string) bool {
	for _, line := range strings.Split(save, "\n") {
		if strings.HasPrefix(line, prefix) && strings.HasSuffix(line, suffix) {
			return true
		}
	}
	return false
}

func routeString(r *types.Route) string {
	if r.GW == nil {
		return r.Dst.String()
	}
	return r.Dst.String() + " via " + r.GW.String()
}
