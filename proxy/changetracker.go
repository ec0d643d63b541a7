package proxy

import (
	"reflect"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// change is the net change of one Service's per-port values (its
// ServicePorts, or its endpoints) since the last checkpoint: as last
// handed to a sync, and as they should be now.
type change[V any] struct {
	previous map[ServicePortName]V
	current  map[ServicePortName]V
}

type (
	serviceChange   = change[*ServicePort]
	endpointsChange = change[[]Endpoint]
)

// changeTracker is what ServiceTracker and EndpointTracker share: per
// Service, what the last sync was handed (known), and the net change since
// (pending). Changes that cancel out are forgotten, so an update that does
// not alter what is programmed costs no sync work. Callers hold their lock.
type changeTracker[V any] struct {
	known   map[types.NamespacedName]map[ServicePortName]V
	pending map[types.NamespacedName]*change[V]
}

func newChangeTracker[V any]() changeTracker[V] {
	return changeTracker[V]{
		known:   map[types.NamespacedName]map[ServicePortName]V{},
		pending: map[types.NamespacedName]*change[V]{},
	}
}

// record makes current the values of name and returns true when they
// differ from those last handed to a sync.
func (t *changeTracker[V]) record(name types.NamespacedName, current map[ServicePortName]V) bool {
	if len(current) == 0 {
		current = nil
	}
	c, ok := t.pending[name]
	if !ok {
		c = &change[V]{previous: t.known[name]}
		t.pending[name] = c
	}
	c.current = current
	if current == nil {
		delete(t.known, name)
	} else {
		t.known[name] = current
	}
	if reflect.DeepEqual(c.previous, c.current) {
		delete(t.pending, name)
		return false
	}
	return true
}

// checkpoint hands over the pending changes and starts a new batch.
func (t *changeTracker[V]) checkpoint() map[types.NamespacedName]*change[V] {
	out := t.pending
	t.pending = map[types.NamespacedName]*change[V]{}
	return out
}

// foldChanges writes changes into m: previous ports removed, current set.
func foldChanges[V any](m map[ServicePortName]V, changes map[types.NamespacedName]*change[V]) {
	for _, c := range changes {
		for name := range c.previous {
			delete(m, name)
		}
		for name, v := range c.current {
			m[name] = v
		}
	}
}

// insertChangedNames adds every port named before or after a change.
func insertChangedNames[V any](s sets.Set[ServicePortName], changes map[types.NamespacedName]*change[V]) {
	for _, c := range changes {
		s.Insert(keysOf(c.previous)...)
		s.Insert(keysOf(c.current)...)
	}
}
