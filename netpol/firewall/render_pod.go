package firewall

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nodenet/nodenet/netpol"
)

// remoteSide is how a pod chain matches the other end of a connection:
// the source for ingress, the destination for egress.
type remoteSide struct{ flag, dir string }

func sideOf(d netpol.Direction) remoteSide {
	if d == netpol.Egress {
		return remoteSide{"-d", "dst"}
	}
	return remoteSide{"-s", "src"}
}

// podRules is one isolated direction of a pod: node IPs and the pod
// itself (through a Service back to itself: the Model always allows a pod
// to talk to itself) pass, every allowed (peer, port range) marks the
// packet allowed (guard.go), anything not marked is logged and rejected.
func (r *renderer) podRules(pod *netpol.PodRules, d netpol.Direction) []string {
	side := sideOf(d)
	var lines []string
	for _, a := range append(slices.Clone(r.m.NodeIPs), pod.IPs...) {
		if r.owns(a) {
			lines = append(lines, fmt.Sprintf("%s %s %s", side.flag, r.host(a), allowTarget))
		}
	}
	dr := pod.Direction(d)
	for _, rule := range dr.Rules {
		peer, ok := r.peerMatch(rule.Peer, side)
		if !ok {
			continue
		}
		for _, ports := range portMatches(rule.Ports) {
			lines = append(lines, join(peer, ports, allowTarget))
		}
	}
	lines = uniqueInOrder(lines)
	return append(lines, r.deny(notAllowed, denyPrefix(pod, d))...)
}

// peerMatch matches the remote end against a peer; false when the peer
// has nothing in this family (an ipBlock of the other family).
func (r *renderer) peerMatch(p *netpol.Peer, side remoteSide) (string, bool) {
	switch p.Kind {
	case netpol.PeerAnywhere:
		return "", true
	case netpol.PeerPods:
		return fmt.Sprintf("-m set --match-set %s %s", peerSet(p, r.ipv6), side.dir), true
	case netpol.PeerIPBlock:
		if !r.owns(p.Block.CIDR.Addr()) {
			return "", false
		}
		match := side.flag + " " + p.Block.CIDR.Masked().String()
		if r.exceptsOf(p) != nil {
			match += fmt.Sprintf(" -m set ! --match-set %s %s", exceptSet(p, r.ipv6), side.dir)
		}
		return match, true
	}
	return "", false
}

// portMatches renders a rule's ports, one match per range; a rule without
// ports is one line matching every protocol.
func portMatches(ports []netpol.PortRange) []string {
	if len(ports) == 0 {
		return []string{""}
	}
	out := make([]string, 0, len(ports))
	for _, pr := range ports {
		proto := strings.ToLower(string(pr.Protocol))
		switch {
		case pr.AllPorts():
			out = append(out, "-p "+proto)
		case pr.First == pr.Last:
			out = append(out, fmt.Sprintf("-p %s -m %s --dport %d", proto, proto, pr.First))
		default:
			out = append(out, fmt.Sprintf("-p %s -m %s --dport %d:%d", proto, proto, pr.First, pr.Last))
		}
	}
	return out
}

// uniqueInOrder drops repeated lines (two policies allowing the same
// peer and port), keeping the first.
func uniqueInOrder(lines []string) []string {
	seen := make(map[string]bool, len(lines))
	out := lines[:0]
	for _, l := range lines {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return slices.Clip(out)
}
