package netpol

import "k8s.io/apimachinery/pkg/labels"

// podsSelectedBy returns the local pods a policy applies to: only pods of
// its own namespace can be.
func (c *cluster) podsSelectedBy(cp *compiledPolicy) []*Pod {
	ns := c.byNamespace[cp.ref.Namespace]
	if ns == nil {
		return nil
	}
	return appendMatching(nil, ns.local, cp.selector)
}

// peerPods returns the pods a selector peer of a policy in policyNamespace
// matches: both selectors must match when both are set. Without a
// namespaceSelector only the policy's namespace is searched. The result is
// in the order of cluster.pods, as namespaces are visited sorted.
func (c *cluster) peerPods(policyNamespace string, peer compiledPeer) []*Pod {
	if peer.namespaces == nil {
		ns := c.byNamespace[policyNamespace]
		if ns == nil {
			return nil
		}
		return ns.appendPeerPods(nil, peer)
	}
	var out []*Pod
	for _, ns := range c.namespaces {
		if peer.namespaces.Matches(ns.labels) {
			out = ns.appendPeerPods(out, peer)
		}
	}
	return out
}

// appendPeerPods appends the addressable pods of ns that peer's pod
// selector matches, checking only those carrying its required labels.
func (ns *namespacePods) appendPeerPods(out []*Pod, peer compiledPeer) []*Pod {
	if len(peer.podsRequire) == 0 {
		return appendMatching(out, ns.addressable, peer.pods)
	}
	if ns.index == nil {
		ns.index = newLabelIndex(ns.addressable)
	}
	return appendMatching(out, ns.index.candidates(peer.podsRequire), peer.pods)
}

// appendMatching appends the pods whose labels sel matches. An empty
// selector (every pod) is common in policies and needs no per-pod check.
func appendMatching(out, pods []*Pod, sel labels.Selector) []*Pod {
	if sel.Empty() {
		return append(out, pods...)
	}
	for _, pod := range pods {
		if sel.Matches(labels.Set(pod.Labels)) {
			out = append(out, pod)
		}
	}
	return out
}
