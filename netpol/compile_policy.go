package netpol

import (
	"errors"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// compiledPolicy is a NetworkPolicy with its selectors, CIDRs and ports
// parsed, so that matching pods never has to deal with errors. A policy that
// failed to compile keeps only what fail-closed needs: its selector and
// directions, with no rules.
type compiledPolicy struct {
	ref types.NamespacedName
	// selector picks the pods of ref.Namespace the policy applies to.
	selector        labels.Selector
	isolatesIngress bool
	isolatesEgress  bool
	ingress         []compiledRule
	egress          []compiledRule
}

// compiledRule is one ingress or egress rule; peers empty means anywhere,
// ports empty means every port.
type compiledRule struct {
	peers []compiledPeer
	ports []compiledPort
}

// compilePolicy parses np. On error it still returns a usable fail-closed
// policy, together with a *PolicyError.
func compilePolicy(np *networkingv1.NetworkPolicy) (compiledPolicy, error) {
	cp := compiledPolicy{ref: types.NamespacedName{Namespace: np.Namespace, Name: np.Name}}
	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	var err error
	cp.isolatesIngress, cp.isolatesEgress, err = policyDirections(&np.Spec)
	collect(err)
	cp.selector, err = metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	if err != nil {
		collect(fmt.Errorf("podSelector: %w", err))
		// Unknown selection: isolate the whole namespace, the only pods a
		// policy can ever select.
		cp.selector = labels.Everything()
	}
	cp.ingress, err = compileIngressRules(np.Spec.Ingress)
	collect(err)
	cp.egress, err = compileEgressRules(np.Spec.Egress)
	collect(err)

	if len(errs) == 0 {
		return cp, nil
	}
	cp.ingress, cp.egress = nil, nil
	return cp, &PolicyError{Policy: cp.ref, Err: errors.Join(errs...)}
}

// policyDirections applies the policyTypes defaults: Ingress always, Egress
// only when egress rules exist. Unknown types make the policy isolate both
// directions, as we cannot tell which one was meant.
func policyDirections(spec *networkingv1.NetworkPolicySpec) (ingress, egress bool, err error) {
	if len(spec.PolicyTypes) == 0 {
		return true, len(spec.Egress) > 0, nil
	}
	for _, t := range spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		default:
			return true, true, fmt.Errorf("policyTypes: unsupported value %q", t)
		}
	}
	return ingress, egress, nil
}

func compileIngressRules(rules []networkingv1.NetworkPolicyIngressRule) ([]compiledRule, error) {
	var out []compiledRule
	for i, r := range rules {
		cr, err := compileRule(r.From, r.Ports)
		if err != nil {
			return nil, fmt.Errorf("ingress[%d]: %w", i, err)
		}
		out = append(out, cr)
	}
	return out, nil
}

func compileEgressRules(rules []networkingv1.NetworkPolicyEgressRule) ([]compiledRule, error) {
	var out []compiledRule
	for i, r := range rules {
		cr, err := compileRule(r.To, r.Ports)
		if err != nil {
			return nil, fmt.Errorf("egress[%d]: %w", i, err)
		}
		out = append(out, cr)
	}
	return out, nil
}

func compileRule(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) (compiledRule, error) {
	var cr compiledRule
	for i := range peers {
		p, err := compilePeer(&peers[i])
		if err != nil {
			return compiledRule{}, fmt.Errorf("peer[%d]: %w", i, err)
		}
		cr.peers = append(cr.peers, p)
	}
	for i := range ports {
		p, err := compilePort(&ports[i])
		if err != nil {
			return compiledRule{}, fmt.Errorf("ports[%d]: %w", i, err)
		}
		cr.ports = append(cr.ports, p)
	}
	return cr, nil
}
