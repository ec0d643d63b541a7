package netpol

import (
	"cmp"
	"slices"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// namespaceNameLabel is set on every namespace by the API server; adding it
// here too lets policies select namespaces we were given without labels.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// cluster indexes the Input for selector matching.
type cluster struct {
	nodeName        string
	namespaceLabels map[string]labels.Set
	// pods is sorted by key so that every derived list is deterministic.
	pods  []*Pod
	byKey map[types.NamespacedName]*Pod
}

func newCluster(in *Input) *cluster {
	c := &cluster{
		nodeName:        in.NodeName,
		namespaceLabels: map[string]labels.Set{},
		byKey:           map[types.NamespacedName]*Pod{},
	}
	for _, ns := range in.Namespaces {
		c.namespaceLabels[ns.Name] = labels.Set(ns.Labels)
	}
	for i := range in.Pods {
		pod := in.Pods[i]
		pod.IPs = unmapAll(pod.IPs)
		c.pods = append(c.pods, &pod)
		c.byKey[pod.Key()] = &pod
	}
	slices.SortFunc(c.pods, func(a, b *Pod) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return c
}

func (c *cluster) labelsOfNamespace(name string) labels.Set {
	set := labels.Set{namespaceNameLabel: name}
	for k, v := range c.namespaceLabels[name] {
		set[k] = v
	}
	return set
}

// isLocal reports whether policies on this node apply to pod: it runs here
// and has its own network namespace.
func (c *cluster) isLocal(pod *Pod) bool {
	return pod.NodeName == c.nodeName && !pod.HostNetwork
}

func (c *cluster) localPods() []*Pod {
	var out []*Pod
	for _, pod := range c.pods {
		if c.isLocal(pod) {
			out = append(out, pod)
		}
	}
	return out
}

// podsSelectedBy returns the local pods a policy applies to.
func (c *cluster) podsSelectedBy(cp *compiledPolicy) []*Pod {
	var out []*Pod
	for _, pod := range c.pods {
		if pod.Namespace == cp.ref.Namespace && c.isLocal(pod) && cp.selector.Matches(labels.Set(pod.Labels)) {
			out = append(out, pod)
		}
	}
	return out
}

// addressablePods are the pods a peer selector can match. hostNetwork pods
// are left out: their IPs are their node's, and allowing a node because a
// label matched would open far more than the policy named (upstream leaves
// hostNetwork peers undefined).
func (c *cluster) addressablePods() []*Pod {
	var out []*Pod
	for _, pod := range c.pods {
		if !pod.HostNetwork && len(pod.IPs) > 0 {
			out = append(out, pod)
		}
	}
	return out
}

// peerPods returns the pods a selector peer of a policy in policyNamespace
// matches: both selectors must match when both are set.
func (c *cluster) peerPods(policyNamespace string, peer compiledPeer) []*Pod {
	var out []*Pod
	for _, pod := range c.addressablePods() {
		if c.peerNamespaceMatches(policyNamespace, peer, pod.Namespace) && peer.pods.Matches(labels.Set(pod.Labels)) {
			out = append(out, pod)
		}
	}
	return out
}

func (c *cluster) peerNamespaceMatches(policyNamespace string, peer compiledPeer, podNamespace string) bool {
	if peer.namespaces == nil {
		return podNamespace == policyNamespace
	}
	return peer.namespaces.Matches(c.labelsOfNamespace(podNamespace))
}
