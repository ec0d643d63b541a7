package controller

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
)

// policyEvents implements source.NetworkPolicyHandler.
type policyEvents struct{ s *Store }

func (e policyEvents) OnNetworkPolicyAdd(np *networkingv1.NetworkPolicy)       { e.s.setPolicy(np) }
func (e policyEvents) OnNetworkPolicyUpdate(_, np *networkingv1.NetworkPolicy) { e.s.setPolicy(np) }
func (e policyEvents) OnNetworkPolicyDelete(np *networkingv1.NetworkPolicy) {
	e.s.deletePolicy(types.NamespacedName{Namespace: np.Namespace, Name: np.Name})
}
func (e policyEvents) OnNetworkPoliciesSynced() {
	e.s.markSynced(func(k *syncedKinds) { k.policies = true })
}

// setPolicy records np. Only the spec changes what is enforced, but the
// stored object is replaced whenever its resourceVersion moves, so that
// Events about an invalid policy refer to its current version.
func (s *Store) setPolicy(np *networkingv1.NetworkPolicy) {
	key := types.NamespacedName{Namespace: np.Namespace, Name: np.Name}
	s.update(func() bool {
		prev, known := s.policies[key]
		s.policies[key] = np
		return !known || !equality.Semantic.DeepEqual(prev.Spec, np.Spec)
	})
}

func (s *Store) deletePolicy(key types.NamespacedName) {
	s.update(func() bool {
		if _, known := s.policies[key]; !known {
			return false
		}
		delete(s.policies, key)
		return true
	})
}
