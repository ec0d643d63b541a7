package ipvs

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// netlinkAddrs is the real Addrs.
type netlinkAddrs struct{ h *netlink.Handle }

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
	return nil
}

func (a *netlinkAddrs) Bound() ([]netip.Addr, error) {
	l, err := a.link()
	if err != nil || l == nil {
		return nil, err
	}
	list, err := a.h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("listing %s's addresses: %w", DummyName, err)
	}
	var out []netip.Addr
	for _, addr := range list {
		if ip, ok := netip.AddrFromSlice(addr.IP); ok && !ip.Unmap().IsLinkLocalUnicast() {
			out = append(out, ip.Unmap())
		}
	}
	return out, nil
}

func hostAddr(a netip.Addr) *netlink.Addr {
	p := netip.PrefixFrom(a, a.BitLen())
	addr, _ := netlink.ParseAddr(p.String())
	return addr
}

func (a *netlinkAddrs) Bind(ip netip.Addr) error {
	l, err := a.link()
	if err != nil || l == nil {
		return fmt.Errorf("binding %s: %s missing: %w", ip, DummyName, err)
	}
	addr := hostAddr(ip)
	// No DAD: a Service IPv6 address must be usable at once.
	addr.Flags = nodad(ip)
	if err := a.h.AddrReplace(l, addr); err != nil {
		return fmt.Errorf("binding %s to %s: %w", ip, DummyName, err)
	}
	return nil
}

func (a *netlinkAddrs) Unbind(ip netip.Addr) error {
	l, err := a.link()
	if err != nil || l == nil {
		return err
	}
	if err := a.h.AddrDel(l, hostAddr(ip)); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
		return fmt.Errorf("unbinding %s from %s: %w", ip, DummyName, err)
	}
	return nil
}

func (a *netlinkAddrs) DeleteDummy() error {
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
