package cni

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// createVeth makes the pair in one netlink request: the host end in our
// netns, the peer created directly inside the pod netns under its final name
// (no create-then-move-then-rename, and no thread switching for it).
func createVeth(n *NetConf, hostName, ifname string, podNS netns.NsHandle, br netlink.Link) (*netlink.Veth, error) {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = hostName
	attrs.MTU = n.MTU
	if attrs.MTU == 0 {
		attrs.MTU = br.Attrs().MTU
	}
	attrs.Flags = net.FlagUp
	veth := &netlink.Veth{
		LinkAttrs:        attrs,
		PeerName:         ifname,
		PeerNamespace:    netlink.NsFd(int(podNS)),
		PeerHardwareAddr: n.mac,
		PeerTxQLen:       -1,
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return nil, fmt.Errorf("creating veth %s/%s: %w", hostName, ifname, err)
	}
	return veth, nil
}

// tagPort sets the host end's alias, by which GC tells this network's ports
// from another's on a shared bridge. It cannot ride on the creating request:
// the kernel ignores IFLA_IFALIAS in an RTM_NEWLINK that creates a link and
// applies it only to an existing one. A kill between the two requests
// leaves an untagged veth that GC does not claim; the attachment's DEL (or
// a repeated ADD) still removes it, as its name is derived from it.
func tagPort(n *NetConf, host *netlink.Veth) error {
	if err := netlink.LinkSetAlias(host, portAlias(n.Name)); err != nil {
		return fmt.Errorf("setting the alias of %s: %w", host.Name, err)
	}
	return nil
}

// portAlias tags the host end with its network so GC of one network never
// deletes ports another network (sharing the bridge) owns. A name too long
// for the alias (IFALIASZ - 1 = 255 bytes) is hashed rather than cut, so two
// long names with one prefix stay apart.
func portAlias(network string) string {
	if a := "nodenet net=" + network; len(a) <= 255 {
		return a
	}
	return "nodenet net=sha256:" + hashHex(network)
}

// attachPort enslaves the host end to the bridge and applies the per-port
// options.
func attachPort(n *NetConf, host *netlink.Veth, br netlink.Link) error {
	if err := netlink.LinkSetMaster(host, br); err != nil {
		return fmt.Errorf("attaching %s to %s: %w", host.Name, br.Attrs().Name, err)
	}
	// Hairpin lets a pod reach itself through a service address that is
	// DNATed back to it (the reply leaves by the port it came in on).
	if n.HairpinMode {
		if err := netlink.LinkSetHairpin(host, true); err != nil {
			return fmt.Errorf("hairpin on %s: %w", host.Name, err)
		}
	}
	if n.PortIsolation {
		if err := netlink.LinkSetIsolated(host, true); err != nil {
			return fmt.Errorf("isolating %s: %w", host.Name, err)
		}
	}
	if n.Vlan != 0 {
		return setPortVlan(host, n.Vlan, *n.PreserveDefaultVlan)
	}
	return nil
}

func setPortVlan(host netlink.Link, vlan int, keepDefault bool) error {
	if err := netlink.BridgeVlanAdd(host, uint16(vlan), true, true, false, true); err != nil {
		return fmt.Errorf("vlan %d on %s: %w", vlan, host.Attrs().Name, err)
	}
	if !keepDefault {
		if err := netlink.BridgeVlanDel(host, 1, true, true, false, true); err != nil {
			return fmt.Errorf("removing default vlan on %s: %w", host.Attrs().Name, err)
		}
	}
	return nil
}

// deleteHostVeth removes the host end (the kernel removes the pod end with
// it). Already gone is success: DEL and failed-ADD cleanup must be
// idempotent.
func deleteHostVeth(name string) error {
	_, err := removeHostVeth(name)
	return err
}

// removeHostVeth is deleteHostVeth that also reports whether the link was
// there (a repeated ADD).
func removeHostVeth(name string) (bool, error) {
	l, err := netlink.LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("looking up %s: %w", name, err)
	}
	// ENODEV: a concurrent DEL (or the pod netns going away) won the race.
	if err := netlink.LinkDel(l); err != nil && !errors.Is(err, syscall.ENODEV) {
		return true, fmt.Errorf("deleting %s: %w", name, err)
	}
	return true, nil
}
