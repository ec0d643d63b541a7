package proxy

import (
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Handlers are the proxier's event handlers, one per kind it follows. They
// satisfy the source package's handler interfaces (the agent puts them in a
// source.Handlers); proxy/ does not import the sources. They only record a
// change and poke the runner; all the work happens in sync.
type Handlers struct {
	Services       ServiceEvents
	EndpointSlices SliceEvents
	Nodes          NodeEvents
}

// ServiceEvents receives Service events.

type ServiceEvents struct{ p *Proxier }

func (e ServiceEvents) OnServiceAdd(svc *v1.Service) { e.OnServiceUpdate(nil, svc) }
func (e ServiceEvents) OnServiceUpdate(_, svc *v1.Service) {
	e.p.changed(e.p.services.Update(nameOf(svc), svc))
}
func (e ServiceEvents) OnServiceDelete(svc *v1.Service) {
	e.p.changed(e.p.services.Update(nameOf(svc), nil))
}
func (e ServiceEvents) OnServicesSynced() {
	e.p.markSynced(func() { e.p.synced.services = true })
}

// SliceEvents receives EndpointSlice events.
type SliceEvents struct{ p *Proxier }

func (e SliceEvents) OnEndpointSliceAdd(s *discovery.EndpointSlice) {
	e.p.changed(e.p.endpoints.Update(s, false))
}
func (e SliceEvents) OnEndpointSliceUpdate(_, s *discovery.EndpointSlice) {
	e.p.changed(e.p.endpoints.Update(s, false))
}
func (e SliceEvents) OnEndpointSliceDelete(s *discovery.EndpointSlice) {
	e.p.changed(e.p.endpoints.Update(s, true))
}
func (e SliceEvents) OnEndpointSlicesSynced() {
	e.p.markSynced(func() { e.p.synced.endpoints = true })
}

// NodeEvents records the agent's own Node (the source delivers no other
// Node): its zone drives topology-aware routing, its primary IPs the
// NodePorts of --nodeport-addresses primary (node.go).
type NodeEvents struct{ p *Proxier }

func (e NodeEvents) OnNodeAdd(n *v1.Node)       { e.p.changed(e.p.setNode(n)) }
func (e NodeEvents) OnNodeUpdate(_, n *v1.Node) { e.p.changed(e.p.setNode(n)) }
func (e NodeEvents) OnNodeDelete(*v1.Node)      { e.p.changed(e.p.setNode(nil)) }
func (NodeEvents) OnNodeSynced()                {}

func nameOf(svc *v1.Service) types.NamespacedName {
	return types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
}
