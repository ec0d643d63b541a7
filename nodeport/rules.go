package nodeport

import "net/netip"

// Rules is the selection as a packet match, for backends that match the
// destination with "is a local address" (iptables -m addrtype --dst-type
// LOCAL, nftables fib daddr type local) rather than binding each address.
type Rules struct {
	// AllLocal: every local address of the family but those in Except.
	AllLocal bool
	Except   netip.Prefix
	// Prefixes: else local addresses inside these only. Empty with
	// AllLocal false: NodePorts are served nowhere (primary IPs unknown).
	Prefixes []netip.Prefix
}

// Rules returns the match for family is4, given the node's primary IPs
// (proxy.Table.Node.PrimaryIPs, both families). Until they are known a
// primary selection matches nothing: NodePorts are then exposed nowhere
// rather than everywhere.
func (a Addresses) Rules(primaryIPs []netip.Addr, is4 bool) Rules {
	switch {
	case a.Primary:
		var out []netip.Prefix
		for _, ip := range primaryIPs {
			if ip.Is4() == is4 {
				out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
			}
		}
		return Rules{Prefixes: out}
	case len(a.OfFamily(is4).CIDRs) == 0:
		return Rules{AllLocal: true, Except: Loopback(is4)}
	}
	return Rules{Prefixes: a.OfFamily(is4).CIDRs}
}

// Matches tells whether the local address addr serves NodePorts under r.
func (r Rules) Matches(addr netip.Addr) bool {
	if r.AllLocal {
		return !r.Except.Contains(addr)
	}
	for _, p := range r.Prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
