package controller

import (
	"maps"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/netpol"
)

// namespaceEvents implements source.NamespaceHandler.
type namespaceEvents struct{ s *Store }

func (e namespaceEvents) OnNamespaceAdd(ns *v1.Namespace)       { e.s.setNamespace(ns) }
func (e namespaceEvents) OnNamespaceUpdate(_, ns *v1.Namespace) { e.s.setNamespace(ns) }
func (e namespaceEvents) OnNamespaceDelete(ns *v1.Namespace)    { e.s.deleteNamespace(ns.Name) }
func (e namespaceEvents) OnNamespacesSynced() {
	e.s.markSynced(func(k *syncedKinds) { k.namespaces = true })
}

// setNamespace records ns; only its labels matter (namespaceSelector).
func (s *Store) setNamespace(ns *v1.Namespace) {
	next := netpol.NamespaceFromAPI(ns)
	s.update(func() bool {
		prev, known := s.namespaces[next.Name]
		if known && maps.Equal(prev.Labels, next.Labels) {
			return false
		}
		s.namespaces[next.Name] = next
		return true
	})
}

func (s *Store) deleteNamespace(name string) {
	s.update(func() bool {
		if _, known := s.namespaces[name]; !known {
			return false
		}
		delete(s.namespaces, name)
		return true
	})
}
