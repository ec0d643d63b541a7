package nodeport

import (
	"fmt"
	"net"
	"net/netip"
)

// AddrLister lists the node's own addresses, every family. Backends that
// must bind each NodePort address (IPVS creates a virtual server per node
// IP) enumerate them through it; tests use nodeporttest.Addrs.
type AddrLister interface {
	LocalAddrs() ([]netip.Addr, error)
}

// SystemAddrs lists the addresses of the current network namespace's
// interfaces.
type SystemAddrs struct{}

// LocalAddrs implements AddrLister.
func (SystemAddrs) LocalAddrs() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("list local addresses: %w", err)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out, nil
}

// NodeAddrs enumerates the local addresses of family is4 that serve
// NodePorts, in the lister's order: Rules applied to what the node has. A
// primary IP the node no longer holds is left out, as the LOCAL match of
// the rule-based backends leaves it out.
func (a Addresses) NodeAddrs(l AddrLister, primaryIPs []netip.Addr, is4 bool) ([]netip.Addr, error) {
	local, err := l.LocalAddrs()
	if err != nil {
		return nil, err
	}
	rules := a.Rules(primaryIPs, is4)
	var out []netip.Addr
	for _, ip := range local {
		if ip.Is4() == is4 && rules.Matches(ip) {
			out = append(out, ip)
		}
	}
	return out, nil
}
