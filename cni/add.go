package cni

import (
	"fmt"
	"net"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/nodenet/nodenet/cni/hostlocal"

	"github.com/nodenet/nodenet/cni/portfilter"
)

// undoStack collects cleanups so an ADD failing half way leaves nothing
// behind: no address held, no link, no set member.
type undoStack []func()

func (u *undoStack) push(f func()) { *u = append(*u, f) }

func (u undoStack) run() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

// withUndo runs f and, when it fails or panics, the cleanups it pushed, in
// reverse. A panic becomes a code 999 error here rather than in guard, so
// it cannot skip the cleanups.
func withUndo(f func(*undoStack) error) (err error) {
	var undo undoStack
	defer func() {
		if p := recover(); p != nil {
			err = panicError("ADD", p)
		}
		if err != nil {
			undo.run()
		}
	}()
	return f(&undo)
}

func cmdAdd(args *skel.CmdArgs) error {
	n, err := loadArgs(args)
	if err != nil {
		return err
	}
	if err := n.validateForAdd(); err != nil {
		return err
	}
	if err := n.applyPodArgs(args.Args); err != nil {
		return err
	}
	trace.mark("parse")
	podNS, err := openPodNS(args.Netns)
	if err != nil {
		return err
	}
	defer podNS.Close()

	var res *current.Result
	err = withUndo(func(undo *undoStack) (err error) {
		res, err = n.addAttachment(args, podNS, undo)
		return err
	})
	if err != nil {
		return err
	}
	return types.PrintResult(res, n.CNIVersion)
}

func (n *NetConf) addAttachment(args *skel.CmdArgs, podNS netns.NsHandle, undo *undoStack) (*current.Result, error) {
	br, err := ensureBridge(n)
	if err != nil {
		return nil, err
	}
	trace.mark("bridge")
	hostName := hostVethName(args.ContainerID, args.IfName)
	// A repeated ADD for the same attachment starts from scratch: the old
	// pair (and with it the pod end) and its masquerading go, the address
	// is kept.
	existed, err := removeHostVeth(hostName)
	if err != nil {
		return nil, err
	}
	if existed && n.masquerades() {
		if err := removeMasq(n.Name, attachmentKey(args.ContainerID, args.IfName)); err != nil {
			return nil, err
		}
	}
	if existed {
		if err := portfilter.Forget(hostName); err != nil {
			return nil, err
		}
	}
	node, err := nodeAddrs()
	if err != nil {
		return nil, err
	}
	if err := n.checkPoolsAgainstNode(node); err != nil {
		return nil, err
	}
	ipam := n.ipam()
	res, err := ipam.add(args)
	if err != nil {
		return nil, err
	}
	trace.mark("ipam")
	undo.push(func() { _ = ipam.del(args) })
	if err := checkAllocated(res.IPs, node); err != nil {
		return nil, err
	}
	if len(res.IPs) == 0 && n.layer3() {
		return nil, errConfig("ipam %s returned no addresses", n.IPAM.Type)
	}
	if n.IsGW {
		fillGateways(res.IPs)
	}
	if err := enrolAddrs(hostName, res.IPs, undo); err != nil {
		return nil, err
	}
	trace.mark("portfilter")
	if err := n.plumb(args, podNS, br, hostName, res, undo); err != nil {
		return nil, err
	}
	trace.mark("plumb")
	if n.masquerades() {
		if err := n.addMasq(args, res.IPs, undo); err != nil {
			return nil, err
		}
		trace.mark("masq")
	}
	return res, nil
}

// addMasq puts the pod's addresses into the network's masquerade sets. Its
// undo runs before the address is released (undo runs in reverse), so the
// address never reaches another pod with our member still in the set.
func (n *NetConf) addMasq(args *skel.CmdArgs, ips []*current.IPConfig, undo *undoStack) error {
	key := attachmentKey(args.ContainerID, args.IfName)
	undo.push(func() { _ = removeMasq(n.Name, key) })
	addrs := make([]net.IPNet, 0, len(ips))
	for _, ipc := range ips {
		addrs = append(addrs, ipc.Address)
	}
	nonMasq, err := n.nonMasqueradeNets()
	if err != nil {
		return err
	}
	return addMasq(n.Name, key, addrs, nonMasq)
}

// enrolAddrs filters the port before the pod can send (see
// package portfilter). A layer-2 attachment (no address) is left unfiltered:
// enrolled, it could send nothing.
func enrolAddrs(hostName string, ips []*current.IPConfig, undo *undoStack) error {
	if len(ips) == 0 {
		return nil
	}
	undo.push(func() { _ = portfilter.Forget(hostName) })
	addrs := make([]net.IPNet, 0, len(ips))
	for _, ipc := range ips {
		addrs = append(addrs, ipc.Address)
	}
	return portfilter.Enrol(hostName, addrs)
}

func (n *NetConf) plumb(args *skel.CmdArgs, podNS netns.NsHandle, br *netlink.Bridge, hostName string, res *current.Result, undo *undoStack) error {
	host, err := createVeth(n, hostName, args.IfName, podNS, br)
	if err != nil {
		return err
	}
	undo.push(func() { _ = deleteHostVeth(hostName) })
	if err := tagPort(n, host); err != nil {
		return err
	}
	trace.mark("veth")
	if err := attachPort(n, host, br); err != nil {
		return err
	}
	trace.mark("port")
	return n.finishAdd(args, podNS, br, host, res)
}

// finishAdd configures the pod side and the gateway, then fills in the
// result's interface list.
func (n *NetConf) finishAdd(args *skel.CmdArgs, podNS netns.NsHandle, br *netlink.Bridge, host *netlink.Veth, res *current.Result) error {
	if n.IsDefaultGW {
		addDefaultRoutes(res)
	}
	// Route sockets only: the default also opens xfrm and netfilter
	// sockets, each costing a netns round trip.
	h, err := netlink.NewHandleAt(podNS, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink handle in pod netns: %w", err)
	}
	defer h.Close()
	trace.mark("podhandle")
	pod, err := configurePod(h, args.IfName, res, !n.DisableContainerInterface)
	if err != nil {
		return err
	}
	trace.mark("pod")
	if n.IsGW {
		if err := ensureGatewayAddrs(br, n, res.IPs); err != nil {
			return err
		}
		if err := enableForwarding(res.IPs); err != nil {
			return err
		}
	}
	fillInterfaces(res, br, host, pod, args.Netns)
	if dnsSet(n.DNS) { // as the reference: the config's dns wins over IPAM's
		res.DNS = n.DNS
	}
	return nil
}

func dnsSet(d types.DNS) bool {
	return d.Nameservers != nil || d.Search != nil || d.Options != nil || d.Domain != ""
}

// fillGateways gives an address without a gateway (a delegated IPAM may
// return none) the first address of its subnet, as the reference bridge
// does with isGateway; host-local always sets one.
func fillGateways(ips []*current.IPConfig) {
	for _, ipc := range ips {
		if ipc.Gateway == nil {
			ipc.Gateway = hostlocal.NextIP(ipc.Address.IP.Mask(ipc.Address.Mask))
		}
	}
}

func fillInterfaces(res *current.Result, br *netlink.Bridge, host *netlink.Veth, pod netlink.Link, sandbox string) {
	hostLink, err := netlink.LinkByIndex(host.Index)
	hostMAC := ""
	if err == nil {
		hostMAC = hostLink.Attrs().HardwareAddr.String()
	}
	res.Interfaces = []*current.Interface{
		{Name: br.Name, Mac: br.HardwareAddr.String()},
		{Name: host.Name, Mac: hostMAC},
		{Name: pod.Attrs().Name, Mac: pod.Attrs().HardwareAddr.String(), Sandbox: sandbox},
	}
	for _, ipc := range res.IPs {
		ipc.Interface = current.Int(2)
	}
}

func familiesOf(ips []*current.IPConfig) []ipFamily {
	var out []ipFamily
	seen := map[ipFamily]bool{}
	for _, ipc := range ips {
		f := familyOf(ipc.Address.IP)
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}
