package nftables

import (
	"net/netip"
	"slices"

	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/nodeport"
)

// nodePortAddrs decides on which local addresses NodePorts answer
// (--nodeport-addresses, through package nodeport): every one but
// loopback (localhost NodePorts need route_localnet, CVE-2020-8558), or
// those inside the CIDRs or the node's primary IPs, which are the elements
// of the interval set nodeport-addrs: a change of the primary IPs is a set
// update, not a rule rewrite.
type nodePortAddrs struct {
	fam   family
	addrs nodeport.Addresses
	rules nodeport.Rules // as of the last sync
}

func newNodePortAddrs(fam family, addrs nodeport.Addresses) nodePortAddrs {
	n := nodePortAddrs{fam: fam, addrs: addrs}
	n.rules = addrs.Rules(nil, fam.is4())
	return n
}

// match is the start of a rule that selects packets for a NodePort. It
// depends on the flag only (every local address, or the set), never on
// the primary IPs.
func (n *nodePortAddrs) match() string {
	if n.rules.AllLocal {
		return "fib daddr type local " + n.fam.kw + " daddr != " + n.rules.Except.String()
	}
	return n.fam.kw + " daddr @" + setNodePortAddrs + " fib daddr type local"
}

// elements are the nodeport-addrs set's keys as of the last take. A
// prefix inside another one is left out: the kernel refuses overlapping
// elements of an interval set ("conflicting intervals specified"), so
// `--nodeport-addresses 10.0.0.0/8,10.1.0.0/16`, or a primary IP inside
// a given CIDR, would fail every full sync.
func (n *nodePortAddrs) elements() [][]string {
	var out [][]string
	for i, p := range n.rules.Prefixes {
		if coveredByAnother(n.rules.Prefixes, i) {
			continue
		}
		if p.IsSingleIP() {
			out = append(out, []string{p.Addr().String()})
		} else {
			out = append(out, []string{p.String()})
		}
	}
	return out
}

// take reads the node's primary IPs from the table (used with
// --nodeport-addresses primary) and tells whether the set's elements
// changed since the last take: the sync must then reconcile them, which
// full syncs do.
func (n *nodePortAddrs) take(primaryIPs []netip.Addr) bool {
	r := n.addrs.Rules(primaryIPs, n.fam.is4())
	if slices.Equal(r.Prefixes, n.rules.Prefixes) {
		return false
	}
	n.rules = r
	klog.InfoS("NodePorts follow the node's primary IPs", "family", n.fam.ipFamily, "prefixes", r.Prefixes)
	return true
}

// coveredByAnother tells whether prefixes[i] lies inside another of
// prefixes (of a duplicate, the first is kept).
func coveredByAnother(prefixes []netip.Prefix, i int) bool {
	p := prefixes[i].Masked()
	for j, q := range prefixes {
		q = q.Masked()
		if j == i || !q.Contains(p.Addr()) || q.Bits() > p.Bits() {
			continue
		}
		if q.Bits() < p.Bits() || j < i {
			return true
		}
	}
	return false
}
