package proxy

import (
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
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

// Handlers bundles the consumers a source feeds. A nil field means nobody
// listens to that kind, and the source does not watch it.
type Handlers struct {
	Services       ServiceHandler
	EndpointSlices EndpointSliceHandler
	Nodes          NodeHandler
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
