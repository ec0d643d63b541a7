package netpol

import (
	"errors"
	"fmt"
	"net/netip"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// compiledPeer is either a pod selection or an ipBlock.
type compiledPeer struct {
	// namespaces is nil when the peer has no namespaceSelector: then only
	// the policy's own namespace is searched.
	namespaces labels.Selector
	// pods is never nil for a pod peer: a missing podSelector with a
	// namespaceSelector means every pod of the selected namespaces.
	pods labels.Selector
	// podsRequire are labels every pod that pods matches carries, to look
	// candidates up in a namespace's labelIndex; empty means scan them all.
	podsRequire []labelPair
	block       *IPBlock
}

var errEmptyPeer = errors.New("peer must set podSelector, namespaceSelector or ipBlock")

func compilePeer(peer *networkingv1.NetworkPolicyPeer) (compiledPeer, error) {
	hasSelector := peer.PodSelector != nil || peer.NamespaceSelector != nil
	switch {
	case peer.IPBlock != nil && hasSelector:
		return compiledPeer{}, errors.New("ipBlock cannot be combined with a selector")
	case peer.IPBlock != nil:
		block, err := compileIPBlock(peer.IPBlock)
		return compiledPeer{block: block}, err
	case !hasSelector:
		return compiledPeer{}, errEmptyPeer
	}
	return compileSelectorPeer(peer)
}

func compileSelectorPeer(peer *networkingv1.NetworkPolicyPeer) (compiledPeer, error) {
	cp := compiledPeer{pods: labels.Everything()}
	var err error
	if peer.PodSelector != nil {
		if cp.pods, err = metav1.LabelSelectorAsSelector(peer.PodSelector); err != nil {
			return compiledPeer{}, fmt.Errorf("podSelector: %w", err)
		}
		cp.podsRequire = requiredLabels(cp.pods)
	}
	if peer.NamespaceSelector != nil {
		if cp.namespaces, err = metav1.LabelSelectorAsSelector(peer.NamespaceSelector); err != nil {
			return compiledPeer{}, fmt.Errorf("namespaceSelector: %w", err)
		}
	}
	return cp, nil
}

// compileIPBlock parses the CIDR and its exceptions. Like API validation it
// requires every exception to lie strictly inside the CIDR; a host address
// with bits past the mask is accepted and masked, as older API servers let
// such values through.
func compileIPBlock(b *networkingv1.IPBlock) (*IPBlock, error) {
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil {
		return nil, fmt.Errorf("ipBlock.cidr: %w", err)
	}
	block := &IPBlock{CIDR: unmapPrefix(cidr).Masked()}
	for i, s := range b.Except {
		except, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("ipBlock.except[%d]: %w", i, err)
		}
		except = unmapPrefix(except).Masked()
		if !strictlyInside(except, block.CIDR) {
			return nil, fmt.Errorf("ipBlock.except[%d]: %s is not strictly inside %s", i, except, block.CIDR)
		}
		block.Except = append(block.Except, except)
	}
	return block, nil
}

func strictlyInside(inner, outer netip.Prefix) bool {
	return inner.Bits() > outer.Bits() && outer.Contains(inner.Addr())
}

// unmapPrefix turns ::ffff:a.b.c.d/n+96 into a.b.c.d/n so that IPv4 pod
// addresses match it.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if !p.Addr().Is4In6() || p.Bits() < 96 {
		return p
	}
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
}
