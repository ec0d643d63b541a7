package proxy

import (
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The event adapters only record a change and poke the runner; all the
// work happens in sync.

type serviceEvents struct{ p *Proxier }

func (e serviceEvents) OnServiceAdd(svc *v1.Service) { e.OnServiceUpdate(nil, svc) }
func (e serviceEvents) OnServiceUpdate(_, svc *v1.Service) {
	e.p.changed(e.p.services.Update(nameOf(svc), svc))
}
func (e serviceEvents) OnServiceDelete(svc *v1.Service) {
	e.p.changed(e.p.services.Update(nameOf(svc), nil))
}
func (e serviceEvents) OnServicesSynced() {
	e.p.markSynced(func() { e.p.synced.services = true })
}

type sliceEvents struct{ p *Proxier }

func (e sliceEvents) OnEndpointSliceAdd(s *discovery.EndpointSlice) {
	e.p.changed(e.p.endpoints.Update(s, false))
}
func (e sliceEvents) OnEndpointSliceUpdate(_, s *discovery.EndpointSlice) {
	e.p.changed(e.p.endpoints.Update(s, false))
}
func (e sliceEvents) OnEndpointSliceDelete(s *discovery.EndpointSlice) {
	e.p.changed(e.p.endpoints.Update(s, true))
}
func (e sliceEvents) OnEndpointSlicesSynced() {
	e.p.markSynced(func() { e.p.synced.endpoints = true })
}

// nodeEvents records the agent's own Node (the source delivers no other
// Node): its zone drives topology-aware routing, its primary IPs the
// NodePorts of --nodeport-addresses primary (node.go).
type nodeEvents struct{ p *Proxier }

func (e nodeEvents) OnNodeAdd(n *v1.Node)       { e.p.changed(e.p.setNode(n)) }
func (e nodeEvents) OnNodeUpdate(_, n *v1.Node) { e.p.changed(e.p.setNode(n)) }
func (e nodeEvents) OnNodeDelete(*v1.Node)      { e.p.changed(e.p.setNode(nil)) }
func (nodeEvents) OnNodeSynced()                {}

func nameOf(svc *v1.Service) types.NamespacedName {
	return types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
}
