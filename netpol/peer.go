package netpol

import (
	"net/netip"
	"slices"

	"k8s.io/apimachinery/pkg/types"
)

// PeerKind says which field of a Peer is meaningful.
type PeerKind int

const (
	// PeerAnywhere is an empty from/to: every address, in or out of cluster.
	PeerAnywhere PeerKind = iota
	// PeerPods is a set of pod IPs picked by pod and/or namespace selectors.
	PeerPods
	// PeerIPBlock is a CIDR minus its exceptions.
	PeerIPBlock
)

func (k PeerKind) String() string {
	switch k {
	case PeerAnywhere:
		return "anywhere"
	case PeerPods:
		return "pods"
	case PeerIPBlock:
		return "ipBlock"
	}
	return "unknown"
}

// Peer is the remote side of a Rule, shaped so that it can become one ipset:
// hash:ip of Addrs for PeerPods, hash:net with nomatch Except for PeerIPBlock.
type Peer struct {
	// Name is deterministic (a function of Origin only, never of the pods it
	// currently holds) and at most 31 characters, the ipset name limit, so
	// pod churn updates a set's members instead of renaming it.
	Name string
	// Origin says where in which policy the peer comes from, for humans.
	Origin string
	Kind   PeerKind
	// Pods and Addrs are the selected pods and their IPs (sorted) for PeerPods.
	Pods  []types.NamespacedName
	Addrs []netip.Addr
	// Block is set for PeerIPBlock.
	Block IPBlock
}

// IPBlock is a CIDR with carved-out exceptions, all masked to their prefix.
type IPBlock struct {
	CIDR   netip.Prefix
	Except []netip.Prefix
}

// Contains reports whether addr is in the block and in none of its exceptions.
func (b IPBlock) Contains(addr netip.Addr) bool {
	if !b.CIDR.Contains(addr) {
		return false
	}
	for _, except := range b.Except {
		if except.Contains(addr) {
			return false
		}
	}
	return true
}

// Contains reports whether addr belongs to the peer.
func (p *Peer) Contains(addr netip.Addr) bool {
	switch p.Kind {
	case PeerAnywhere:
		return true
	case PeerPods:
		_, found := slices.BinarySearchFunc(p.Addrs, addr, netip.Addr.Compare)
		return found
	case PeerIPBlock:
		return p.Block.Contains(addr)
	}
	return false
}

// AddrsOfFamily returns the peer's pod IPs of one family (ipsets are per
// family); ipv6 selects IPv6, otherwise IPv4.
func (p *Peer) AddrsOfFamily(ipv6 bool) []netip.Addr {
	var out []netip.Addr
	for _, a := range p.Addrs {
		if a.Is6() == ipv6 {
			out = append(out, a)
		}
	}
	return out
}
