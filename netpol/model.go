package netpol

import (
	"cmp"
	"net/netip"
	"slices"

	"k8s.io/apimachinery/pkg/types"
)

// Model is the result of Compute: the effective rules of every local pod.
type Model struct {
	NodeName string
	// NodeIPs are always allowed to and from local pods; a renderer must
	// accept them before any policy chain.
	NodeIPs []netip.Addr
	// PodCIDRs are the node's pod ranges, copied from Input.
	PodCIDRs []netip.Prefix
	// PolicyCount is the number of NetworkPolicies in the cluster, valid or
	// not. With none, nothing is isolated and no address needs gating.
	PolicyCount int
	// LocalPods has an entry for every pod on this node that is not
	// hostNetwork, selected by a policy or not.
	LocalPods map[types.NamespacedName]*PodRules
	// Peers holds every peer referenced by some Rule, by Peer.Name, so a
	// renderer can create each address set (ipset) exactly once.
	Peers map[string]*Peer
	// Errors lists one *PolicyError per invalid policy (see PolicyError).
	Errors []error

	allPods   map[types.NamespacedName]*Pod
	localByIP map[netip.Addr]*PodRules
	invalid   map[types.NamespacedName]bool
}

// PodRules is the effective policy of one local pod.
type PodRules struct {
	Pod     types.NamespacedName
	IPs     []netip.Addr
	Ingress DirectionRules
	Egress  DirectionRules
}

// Direction returns the pod's rules for d.
func (r *PodRules) Direction(d Direction) *DirectionRules {
	if d == Egress {
		return &r.Egress
	}
	return &r.Ingress
}

// DirectionRules is one direction of a pod's policy. A pod that is not
// Isolated allows everything; an isolated pod allows only what Rules allow.
type DirectionRules struct {
	Isolated bool
	// IsolatedBy names every policy that isolates the pod in this
	// direction, sorted, including invalid policies that fail closed.
	IsolatedBy []types.NamespacedName
	// Rules are the allows; their union is the allowed traffic.
	Rules []Rule
}

// Rule allows traffic between the pod and Peer on Ports.
type Rule struct {
	// Policy is the NetworkPolicy that contributed this rule.
	Policy types.NamespacedName
	Peer   *Peer
	// Ports is empty when every port of every protocol is allowed.
	// A policy port that resolves to nothing yields no Rule at all, so an
	// empty list never stands for "nothing".
	Ports []PortRange
}

// Allows reports whether the rule admits traffic whose remote end is addr.
func (r *Rule) Allows(addr netip.Addr, port int32, protocol Protocol) bool {
	if !r.Peer.Contains(addr) {
		return false
	}
	if len(r.Ports) == 0 {
		return true
	}
	for _, pr := range r.Ports {
		if pr.Contains(port, protocol) {
			return true
		}
	}
	return false
}

// SortedLocalPods returns LocalPods ordered by namespace/name, for output
// and rendering that must not depend on map order.
func (m *Model) SortedLocalPods() []*PodRules {
	out := make([]*PodRules, 0, len(m.LocalPods))
	for _, r := range m.LocalPods {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *PodRules) int {
		return cmp.Or(cmp.Compare(a.Pod.Namespace, b.Pod.Namespace), cmp.Compare(a.Pod.Name, b.Pod.Name))
	})
	return out
}

// SortedPeers returns Peers ordered by name.
func (m *Model) SortedPeers() []*Peer {
	out := make([]*Peer, 0, len(m.Peers))
	for _, p := range m.Peers {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Peer) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
