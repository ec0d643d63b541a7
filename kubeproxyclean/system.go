package kubeproxyclean

import (
	"errors"
	"fmt"
	"net/netip"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/nodeport"
)

// ipvsProcFile exists once the kernel's IPVS is loaded; without it no
// virtual server can exist, and opening IPVS's netlink family would fail.
const ipvsProcFile = "/proc/net/ip_vs"

// SystemSurfaces are the current network namespace's surfaces through the
// installed tools, netlink and IPVS where the kernel has it.
func SystemSurfaces() (Surfaces, error) {
	s := Surfaces{Iptables: SystemIptables(), Nft: SystemNftables(), LocalAddrs: nodeport.SystemAddrs{}}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return s, fmt.Errorf("netlink: %w", err)
	}
	s.Links = netlinkLinks{h}
	// Where the tool is missing or the kernel has no ipset support
	// (`ipset list` fails), no set of kube-proxy's can exist.
	if _, err := run(nil, "ipset", "list", "-n"); err == nil {
		s.Ipsets = execIpsets{}
	}
	if _, err := os.Stat(ipvsProcFile); err == nil {
		if s.IPVS, err = ipvs.NewKernel(""); err != nil {
			return s, err
		}
	}
	return s, nil
}

type netlinkLinks struct{ h *netlink.Handle }

func (l netlinkLinks) LinkAddrs(name string) ([]netip.Addr, bool, error) {
	link, err := l.h.LinkByName(name)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	list, err := l.h.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return nil, true, err
	}
	addrs := make([]netip.Addr, 0, len(list))
	for _, a := range list {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			addrs = append(addrs, ip.Unmap())
		}
	}
	return addrs, true, nil
}

func (l netlinkLinks) DeleteLink(name string) error {
	link, err := l.h.LinkByName(name)
	if err != nil {
		return err
	}
	return l.h.LinkDel(link)
}

// execIpsets runs the ipset tool.
type execIpsets struct{}

func (execIpsets) Save() (string, error) { return run(nil, "ipset", "save") }

func (execIpsets) Destroy(name string) error {
	_, err := run(nil, "ipset", "destroy", name)
	return err
}
