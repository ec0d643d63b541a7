package source

import (
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

// kind is one row of the dispatch table: everything either source needs to
// deliver objects of one GroupVersionKind. Adding a kind (Pod, Namespace,
// NetworkPolicy, ...) means adding one row, a bind function and an informer
// constructor.
type kind struct {
	gvk schema.GroupVersionKind
	// namespaced kinds get "default" when a manifest leaves namespace empty.
	namespaced bool
	// bind returns the sink feeding h's handler for this kind, or nil when
	// h has no handler for it; the kind is then not watched at all.
	bind func(h Handlers, nodeName string) *sink
	// newInformer builds the informer watching this kind in a cluster.
	newInformer func(client *Client, nodeName string, resync time.Duration) cache.SharedIndexInformer
	// transform, if set, trims informer objects before they are cached
	// (manifests are small and kept as written).
	transform cache.TransformFunc
	// proxier marks the proxier's kinds. From informers, their Synced
	// callbacks come together, once all of them synced (the first proxy
	// sync then knows the Node's zone); the other kinds' come each on its
	// own, so that a slow or forbidden Pod list never holds the proxy back.
	proxier bool
}

// kinds is ordered so that informer starts, and Synced callbacks of kinds
// that sync together, happen in a stable order.
var kinds = []kind{
	{
		gvk:         v1.SchemeGroupVersion.WithKind("Service"),
		namespaced:  true,
		bind:        bindServices,
		proxier:     true,
		newInformer: newServiceInformer,
		transform:   stripService,
	},
	{
		gvk:         discovery.SchemeGroupVersion.WithKind("EndpointSlice"),
		namespaced:  true,
		bind:        bindEndpointSlices,
		proxier:     true,
		newInformer: newEndpointSliceInformer,
		transform:   stripEndpointSlice,
	},
	{
		gvk:         v1.SchemeGroupVersion.WithKind("Node"),
		bind:        bindNodes,
		proxier:     true,
		newInformer: newNodeInformer,
	},
	{
		gvk:         v1.SchemeGroupVersion.WithKind("Pod"),
		namespaced:  true,
		bind:        bindPods,
		newInformer: newPodInformer,
		transform:   stripPod,
	},
	{
		gvk:         v1.SchemeGroupVersion.WithKind("Namespace"),
		bind:        bindNamespaces,
		newInformer: newNamespaceInformer,
	},
	{
		gvk:         networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"),
		namespaced:  true,
		bind:        bindNetworkPolicies,
		newInformer: newNetworkPolicyInformer,
	},
}

func bindServices(h Handlers, _ string) *sink {
	if h.Services == nil {
		return nil
	}
	s := h.Services
	return newSink("Service", s.OnServiceAdd, s.OnServiceUpdate, s.OnServiceDelete, s.OnServicesSynced)
}

func bindEndpointSlices(h Handlers, _ string) *sink {
	if h.EndpointSlices == nil {
		return nil
	}
	s := h.EndpointSlices
	return newSink("EndpointSlice", s.OnEndpointSliceAdd, s.OnEndpointSliceUpdate, s.OnEndpointSliceDelete, s.OnEndpointSlicesSynced)
}

// bindNodes delivers only the agent's own Node: the proxier needs its own
// labels and addresses, never its neighbours'.
func bindNodes(h Handlers, nodeName string) *sink {
	if h.Nodes == nil {
		return nil
	}
	n := h.Nodes
	s := newSink("Node", n.OnNodeAdd, n.OnNodeUpdate, n.OnNodeDelete, n.OnNodeSynced)
	s.accept = func(name string) bool { return name == nodeName }
	return s
}

// bindPods delivers every Pod, local or not: remote pods are policy peers.
func bindPods(h Handlers, _ string) *sink {
	if h.Pods == nil {
		return nil
	}
	p := h.Pods
	return newSink("Pod", p.OnPodAdd, p.OnPodUpdate, p.OnPodDelete, p.OnPodsSynced)
}

func bindNamespaces(h Handlers, _ string) *sink {
	if h.Namespaces == nil {
		return nil
	}
	n := h.Namespaces
	return newSink("Namespace", n.OnNamespaceAdd, n.OnNamespaceUpdate, n.OnNamespaceDelete, n.OnNamespacesSynced)
}

func bindNetworkPolicies(h Handlers, _ string) *sink {
	if h.NetworkPolicies == nil {
		return nil
	}
	n := h.NetworkPolicies
	return newSink("NetworkPolicy", n.OnNetworkPolicyAdd, n.OnNetworkPolicyUpdate, n.OnNetworkPolicyDelete, n.OnNetworkPoliciesSynced)
}
