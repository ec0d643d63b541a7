package firewall

import (
	"net/netip"

	"github.com/nodenet/nodenet/netpol"
)

// addSets adds this family's sets: one per pod peer (always, even empty,
// so that pods coming and going only change members), one per ipBlock
// with exceptions in the block's family, and the known-address set of
// the unknown-pod gate.
func (r *renderer) addSets(sets map[string]*setSpec) {
	for _, p := range r.m.SortedPeers() {
		switch p.Kind {
		case netpol.PeerPods:
			var members []netip.Prefix
			for _, a := range p.AddrsOfFamily(r.ipv6) {
				members = append(members, hostPrefix(a))
			}
			sets[peerSet(p, r.ipv6)] = newSetSpec(SetOfAddrs, r.ipv6, members)
		case netpol.PeerIPBlock:
			if excepts := r.exceptsOf(p); excepts != nil {
				sets[exceptSet(p, r.ipv6)] = newSetSpec(SetOfNets, r.ipv6, excepts)
			}
		}
	}
	sets[knownSetOf(r.ipv6)] = newSetSpec(SetOfAddrs, r.ipv6, r.knownAddrs())
	r.addGuardSets(sets)
}

// exceptsOf is an ipBlock's exceptions in this family, nil when the
// block is of the other family or has none.
func (r *renderer) exceptsOf(p *netpol.Peer) []netip.Prefix {
	if p.Kind != netpol.PeerIPBlock || !r.owns(p.Block.CIDR.Addr()) {
		return nil
	}
	var out []netip.Prefix
	for _, e := range p.Block.Except {
		if r.owns(e.Addr()) {
			out = append(out, e.Masked())
		}
	}
	return out
}

// knownAddrs are the local pods' and the node's addresses of this family.
func (r *renderer) knownAddrs() []netip.Prefix {
	var out []netip.Prefix
	for _, pod := range r.m.LocalPods {
		for _, a := range pod.IPs {
			if r.owns(a) {
				out = append(out, hostPrefix(a))
			}
		}
	}
	for _, a := range r.m.NodeIPs {
		if r.owns(a) {
			out = append(out, hostPrefix(a))
		}
	}
	return out
}
