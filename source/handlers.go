package source

import (
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// ServiceHandler receives Service events from a source (informers or the
// manifests folder). Implementations only record the change and poke the
// sync runner: no kernel work happens in a handler.
type ServiceHandler interface {
	OnServiceAdd(svc *v1.Service)
	OnServiceUpdate(oldSvc, svc *v1.Service)
	OnServiceDelete(svc *v1.Service)
	// OnServicesSynced is called once, after the initial list is delivered.
	OnServicesSynced()
}

// EndpointSliceHandler receives EndpointSlice events.
type EndpointSliceHandler interface {
	OnEndpointSliceAdd(slice *discovery.EndpointSlice)
	OnEndpointSliceUpdate(oldSlice, slice *discovery.EndpointSlice)
	OnEndpointSliceDelete(slice *discovery.EndpointSlice)
	OnEndpointSlicesSynced()
}

// NodeHandler receives events for the agent's own Node only.
type NodeHandler interface {
	OnNodeAdd(node *v1.Node)
	OnNodeUpdate(oldNode, node *v1.Node)
	OnNodeDelete(node *v1.Node)
	OnNodeSynced()
}

// PodHandler receives events for every Pod of the cluster (the firewall
// needs remote pods too: they are the peers of local pods' policies).
type PodHandler interface {
	OnPodAdd(pod *v1.Pod)
	OnPodUpdate(oldPod, pod *v1.Pod)
	OnPodDelete(pod *v1.Pod)
	OnPodsSynced()
}

// NamespaceHandler receives Namespace events (their labels select peers).
type NamespaceHandler interface {
	OnNamespaceAdd(ns *v1.Namespace)
	OnNamespaceUpdate(oldNS, ns *v1.Namespace)
	OnNamespaceDelete(ns *v1.Namespace)
	OnNamespacesSynced()
}

// NetworkPolicyHandler receives networking.k8s.io/v1 NetworkPolicy events.
type NetworkPolicyHandler interface {
	OnNetworkPolicyAdd(np *networkingv1.NetworkPolicy)
	OnNetworkPolicyUpdate(oldNP, np *networkingv1.NetworkPolicy)
	OnNetworkPolicyDelete(np *networkingv1.NetworkPolicy)
	OnNetworkPoliciesSynced()
}

// Handlers bundles the consumers a source feeds. A nil field means nobody
// listens to that kind, and the source does not watch it.
type Handlers struct {
	Services        ServiceHandler
	EndpointSlices  EndpointSliceHandler
	Nodes           NodeHandler
	Pods            PodHandler
	Namespaces      NamespaceHandler
	NetworkPolicies NetworkPolicyHandler
}

// NodeFanout delivers Node events to several handlers in order, e.g. the
// proxier and the CNI config installer.
type NodeFanout []NodeHandler

func (f NodeFanout) OnNodeAdd(n *v1.Node) {
	for _, h := range f {
		h.OnNodeAdd(n)
	}
}

func (f NodeFanout) OnNodeUpdate(old, n *v1.Node) {
	for _, h := range f {
		h.OnNodeUpdate(old, n)
	}
}

func (f NodeFanout) OnNodeDelete(n *v1.Node) {
	for _, h := range f {
		h.OnNodeDelete(n)
	}
}

func (f NodeFanout) OnNodeSynced() {
	for _, h := range f {
		h.OnNodeSynced()
	}
}
