package netpol

import (
	"cmp"
	"net/netip"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Compute derives the effective rules of every local pod from in. Invalid
// policies are returned as *PolicyError (also kept in Model.Errors); they
// add no allows but still isolate the pods they select (fail closed), while
// every other policy applies normally.
func Compute(in Input) (*Model, []error) {
	c := newCluster(&in)
	b := &builder{cluster: c, model: newModel(&in, c)}
	for _, pod := range b.cluster.local {
		b.addLocalPod(pod)
	}
	for _, np := range sortedPolicies(in.Policies) {
		cp, err := compilePolicy(np)
		if err != nil {
			b.model.Errors = append(b.model.Errors, err)
			b.model.invalid[cp.ref] = true
		}
		b.applyPolicy(&cp)
	}
	return b.model, b.model.Errors
}

// builder carries the state of one Compute call.
type builder struct {
	cluster *cluster
	model   *Model
}

func newModel(in *Input, c *cluster) *Model {
	m := &Model{
		NodeName:    in.NodeName,
		NodeIPs:     unmapAll(in.NodeIPs),
		PodCIDRs:    slices.Clone(in.PodCIDRs),
		PolicyCount: len(in.Policies),
		LocalPods:   map[types.NamespacedName]*PodRules{},
		Peers:       map[string]*Peer{},
		allPods:     c.byKey,
		localByIP:   map[netip.Addr]*PodRules{},
		invalid:     map[types.NamespacedName]bool{},
	}
	return m
}

func (b *builder) addLocalPod(pod *Pod) {
	rules := &PodRules{Pod: pod.Key(), IPs: unmapAll(pod.IPs)}
	b.model.LocalPods[rules.Pod] = rules
	for _, ip := range rules.IPs {
		b.model.localByIP[ip] = rules
	}
}

// applyPolicy isolates the pods cp selects in its directions and adds its
// allows. Egress rules do not depend on the selected pod, ingress rules do
// (named ports resolve in the destination, which is the selected pod).
func (b *builder) applyPolicy(cp *compiledPolicy) {
	selected := b.cluster.podsSelectedBy(cp)
	if len(selected) == 0 {
		return
	}
	var egress []Rule
	if cp.isolatesEgress {
		egress = b.egressRules(cp)
	}
	ingressPeers := make([][]*Peer, len(cp.ingress))
	for _, pod := range selected {
		rules := b.model.LocalPods[pod.Key()]
		if cp.isolatesIngress {
			isolate(&rules.Ingress, cp.ref, b.ingressRules(cp, ingressPeers, pod))
		}
		if cp.isolatesEgress {
			isolate(&rules.Egress, cp.ref, egress)
		}
	}
}

func isolate(dr *DirectionRules, policy types.NamespacedName, allows []Rule) {
	dr.Isolated = true
	dr.IsolatedBy = append(dr.IsolatedBy, policy)
	dr.Rules = append(dr.Rules, allows...)
}

func sortedPolicies(policies []*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
	out := slices.Clone(policies)
	slices.SortFunc(out, func(a, b *networkingv1.NetworkPolicy) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func unmapAll(addrs []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.Unmap())
	}
	return out
}
