package cni

import (
	"fmt"
	"net"

	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netlink"

	"github.com/nodenet/nodenet/internal/netlinkdump"
)

// nodeAddr is an address configured on the node (the netns the plugin
// runs in) and the link that holds it.
type nodeAddr struct {
	ip   net.IP
	link string
}

func nodeAddrs() ([]nodeAddr, error) {
	addrs, err := netlinkdump.Retry(func() ([]netlink.Addr, error) { return netlink.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("listing the node's addresses: %w", err)
	}
	links := map[int]string{}
	out := make([]nodeAddr, 0, len(addrs))
	for _, a := range addrs {
		name, ok := links[a.LinkIndex]
		if !ok {
			if l, err := netlink.LinkByIndex(a.LinkIndex); err == nil {
				name = l.Attrs().Name
			}
			links[a.LinkIndex] = name
		}
		out = append(out, nodeAddr{ip: a.IP, link: name})
	}
	return out, nil
}

// checkPoolsAgainstNode refuses (code 7) host-local pools that hold an
// address of the node other than their gateway: handed to a pod, it would
// be answered by the node (and, with the firewall trusting node
// addresses, let the pod through every policy). The gateway is the node's
// address on the bridge, expected in its own range.
func (n *NetConf) checkPoolsAgainstNode(node []nodeAddr) error {
	if n.hostLocal == nil {
		return nil
	}
	ips := make([]net.IP, 0, len(node))
	for _, a := range node {
		// forceAddress replaces the bridge's addresses with the gateway.
		if n.ForceAddress && a.link == n.BridgeName {
			continue
		}
		ips = append(ips, a.ip)
	}
	if ip, subnet := n.hostLocal.InPool(ips); ip != nil {
		return errConfig("ipam range %s holds %s, an address of the node (on %s): exclude it from the range", subnet, ip, linkOf(node, ip))
	}
	return nil
}

// checkAllocated refuses (code 7) an allocation of a node address, which a
// delegated IPAM plugin (checked only here) could make.
func checkAllocated(ips []*current.IPConfig, node []nodeAddr) error {
	for _, ipc := range ips {
		for _, a := range node {
			if a.ip.Equal(ipc.Address.IP) {
				return errConfig("ipam returned %s, an address of the node (on %s)", a.ip, a.link)
			}
		}
	}
	return nil
}

func linkOf(node []nodeAddr, ip net.IP) string {
	for _, a := range node {
		if a.ip.Equal(ip) {
			return a.link
		}
	}
	return ""
}
