package netpolview

import (
	"cmp"
	"errors"
	"slices"

	"github.com/nodenet/nodenet/netpol"
)

// PoliciesView is the JSON the agent serves at /netpol/policies and prints with
// `nodenet dump policies -o json`: the effective rules of each local pod.
// Lists are never null, and sorted, so two dumps of one state are equal.
type PoliciesView struct {
	Node string `json:"node"`
	// PolicyCount counts the cluster's NetworkPolicies, valid or not.
	PolicyCount int `json:"policyCount"`
	// InvalidPolicies allow nothing and still isolate (they fail closed).
	InvalidPolicies []InvalidPolicyView `json:"invalidPolicies"`
	Pods            []PodPolicyView     `json:"pods"`
}

// InvalidPolicyView is one invalid policy and why.
type InvalidPolicyView struct {
	// Policy is "namespace/name".
	Policy string `json:"policy"`
	Error  string `json:"error"`
}

// PodPolicyView is one local (non-hostNetwork) pod.
type PodPolicyView struct {
	// Pod is "namespace/name".
	Pod     string        `json:"pod"`
	IPs     []string      `json:"ips"`
	Ingress DirectionView `json:"ingress"`
	Egress  DirectionView `json:"egress"`
}

// DirectionView is one direction of a pod: not isolated means everything
// is allowed; isolated means only Rules are.
type DirectionView struct {
	Isolated bool `json:"isolated"`
	// IsolatedBy names the policies ("namespace/name") that isolate it.
	IsolatedBy []string   `json:"isolatedBy"`
	Rules      []RuleView `json:"rules"`
}

// RuleView allows traffic with Peer on Ports.
type RuleView struct {
	// Policy is the "namespace/name" of the policy that contributed it.
	Policy string   `json:"policy"`
	Peer   PeerView `json:"peer"`
	// Ports is empty when every port of every protocol is allowed.
	Ports []PortView `json:"ports"`
}

// PeerView is the remote side of a rule.
type PeerView struct {
	// Kind is "anywhere", "pods" or "ipBlock".
	Kind string `json:"kind"`
	// Name is the peer's address set name (NNP-...); Origin says where in
	// which policy it comes from.
	Name   string `json:"name"`
	Origin string `json:"origin"`
	// Pods ("namespace/name") and Addresses are set for kind "pods".
	Pods      []string `json:"pods,omitempty"`
	Addresses []string `json:"addresses,omitempty"`
	// CIDR and Except are set for kind "ipBlock".
	CIDR   string   `json:"cidr,omitempty"`
	Except []string `json:"except,omitempty"`
}

// PortView is a protocol and a port range; Port 0 means every port of the
// protocol, EndPort 0 a single port.
type PortView struct {
	Protocol string `json:"protocol"`
	Port     int32  `json:"port,omitempty"`
	EndPort  int32  `json:"endPort,omitempty"`
}

// TraceView is the JSON the agent serves at /netpol/trace and prints with
// `nodenet trace -o json`.
type TraceView struct {
	Allowed bool `json:"allowed"`
	// Reasons name the policies that decided, one line each.
	Reasons []string `json:"reasons"`
}

// NewPoliciesView converts m (nil: nothing computed yet, an empty view).
func NewPoliciesView(m *netpol.Model) PoliciesView {
	view := PoliciesView{InvalidPolicies: []InvalidPolicyView{}, Pods: []PodPolicyView{}}
	if m == nil {
		return view
	}
	view.Node, view.PolicyCount = m.NodeName, m.PolicyCount
	view.InvalidPolicies = newInvalidViews(m.Errors)
	for _, pod := range m.SortedLocalPods() {
		view.Pods = append(view.Pods, PodPolicyView{
			Pod:     pod.Pod.String(),
			IPs:     stringsOf(pod.IPs),
			Ingress: newDirectionView(&pod.Ingress),
			Egress:  newDirectionView(&pod.Egress),
		})
	}
	return view
}

func newInvalidViews(errs []error) []InvalidPolicyView {
	out := make([]InvalidPolicyView, 0, len(errs))
	for _, err := range errs {
		v := InvalidPolicyView{Error: err.Error()}
		var perr *netpol.PolicyError
		if errors.As(err, &perr) {
			v.Policy, v.Error = perr.Policy.String(), perr.Err.Error()
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b InvalidPolicyView) int { return cmp.Compare(a.Policy, b.Policy) })
	return out
}

func newDirectionView(d *netpol.DirectionRules) DirectionView {
	view := DirectionView{Isolated: d.Isolated, IsolatedBy: stringsOf(d.IsolatedBy), Rules: []RuleView{}}
	for _, r := range d.Rules {
		view.Rules = append(view.Rules, RuleView{Policy: r.Policy.String(), Peer: newPeerView(r.Peer), Ports: newPortViews(r.Ports)})
	}
	return view
}

func newPeerView(p *netpol.Peer) PeerView {
	view := PeerView{Kind: p.Kind.String(), Name: p.Name, Origin: p.Origin}
	switch p.Kind {
	case netpol.PeerPods:
		view.Pods, view.Addresses = stringsOf(p.Pods), stringsOf(p.Addrs)
	case netpol.PeerIPBlock:
		view.CIDR, view.Except = p.Block.CIDR.String(), stringsOf(p.Block.Except)
		if len(view.Except) == 0 {
			view.Except = nil
		}
	}
	return view
}

func newPortViews(ports []netpol.PortRange) []PortView {
	out := make([]PortView, 0, len(ports))
	for _, pr := range ports {
		v := PortView{Protocol: string(pr.Protocol), Port: pr.First}
		if pr.Last != pr.First {
			v.EndPort = pr.Last
		}
		out = append(out, v)
	}
	return out
}

// stringsOf formats a list, never nil, so JSON shows [] rather than null.
func stringsOf[T interface{ String() string }](items []T) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.String())
	}
	return out
}
