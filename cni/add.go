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
)

// undoStack collects cleanups so an ADD failing half way leaves nothing
// behind: no address held, no link, no chain.
type undoStack []func()

func (u *undoStack) push(f func()) { *u = append(*u, f) }

func (u undoStack) run() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

func cmdAdd(args *skel.CmdArgs) (err error) {
	n, err := loadArgs(args)
	if err != nil {
		return err
	}
	podNS, err := openPodNS(args.Netns)
	if err != nil {
		return err
	}
	defer podNS.Close()

	var undo undoStack
	defer func() {
		if err != nil {
			undo.run()
		}
	}()
	res, err := n.addAttachment(args, podNS, &undo)
	if err != nil {
		return err
	}
	return types.PrintResult(res, n.CNIVersion)
}

func (n *NetConf) addAttachment(args *skel.CmdArgs, podNS netns.NsHandle, undo *undoStack) (*current.Result, error) {
	var masq *masqSession
	if n.IPMasq {
		masq = startMasq(n)
		defer masq.abort()
	}
	br, err := ensureBridge(n)
	if err != nil {
		return nil, err
	}
	trace.mark("bridge")
	hostName := hostVethName(args.ContainerID, args.IfName)
	chain := masqChainName(n.Name, args.ContainerID, args.IfName)
	// A repeated ADD for the same attachment starts from scratch: the old
	// pair (and with it the pod end) and the old POSTROUTING jump go, the
	// address is kept.
	existed, err := removeHostVeth(hostName)
	if err != nil {
		return nil, err
	}
	if existed && n.IPMasq {
		if err := teardownMasq(chain, n.families()); err != nil {
			return nil, err
		}
	}
	ipam := n.ipam()
	res, err := ipam.add(args)
	if err != nil {
		return nil, err
	}
	trace.mark("ipam")
	undo.push(func() { _ = ipam.del(args) })
	if len(res.IPs) == 0 {
		return nil, errConfig("ipam %s returned no addresses", n.IPAM.Type)
	}
	// The masquerade rules need only the addresses: install them while the
	// links are plumbed. The wait below runs on every path so undo never
	// races a half-applied restore.
	waitMasq := func() error { return nil }
	if masq != nil {
		addrs := make([]net.IPNet, 0, len(res.IPs))
		for _, ipc := range res.IPs {
			addrs = append(addrs, ipc.Address)
		}
		undo.push(func() { _ = teardownMasq(chain, familiesOf(res.IPs)) })
		waitMasq = async(func() error { return masq.apply(chain, masqComment(n.Name, args.ContainerID), addrs) })
	}
	err = n.plumb(args, podNS, br, hostName, res, undo)
	trace.mark("plumb")
	if merr := waitMasq(); err == nil {
		err = merr
	}
	trace.mark("masqwait")
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (n *NetConf) plumb(args *skel.CmdArgs, podNS netns.NsHandle, br *netlink.Bridge, hostName string, res *current.Result, undo *undoStack) error {
	host, err := createVeth(n, hostName, args.IfName, podNS, br)
	if err != nil {
		return err
	}
	undo.push(func() { _ = deleteHostVeth(hostName) })
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
	pod, err := configurePod(h, args.IfName, res)
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
	if len(res.DNS.Nameservers) == 0 && len(res.DNS.Search) == 0 {
		res.DNS = n.DNS
	}
	return nil
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

// masqComment needs no quoting inside the restore script: both names were
// validated to [A-Za-z0-9_.-]. Cut to stay far below the 256-byte limit.
func masqComment(network, containerID string) string {
	c := "nodenet name=" + network + " id=" + containerID
	if len(c) > 200 {
		c = c[:200]
	}
	return c
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
