package proxy

import (
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// Table is the desired state: every Service port this node must program,
// with its endpoints. It is computed purely from the change trackers and
// handed read-only to the backend.
type Table struct {
	Services  map[ServicePortName]*ServicePort
	Endpoints map[ServicePortName][]Endpoint
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{
		Services:  map[ServicePortName]*ServicePort{},
		Endpoints: map[ServicePortName][]Endpoint{},
	}
}

// Apply folds a batch of tracked changes into the table and returns the
// service ports whose programming may have to change.
func (t *Table) Apply(svcs map[types.NamespacedName]*serviceChange, eps map[types.NamespacedName]*endpointsChange) sets.Set[ServicePortName] {
	changed := sets.New[ServicePortName]()
	for _, c := range svcs {
		for name := range c.previous {
			delete(t.Services, name)
			changed.Insert(name)
		}
		for name, sp := range c.current {
			t.Services[name] = sp
			changed.Insert(name)
		}
	}
	for _, c := range eps {
		for name := range c.previous {
			delete(t.Endpoints, name)
			changed.Insert(name)
		}
		for name, list := range c.current {
			t.Endpoints[name] = list
			changed.Insert(name)
		}
	}
	return changed
}

// Targets returns the endpoints that receive new connections for name.
func (t *Table) Targets(name ServicePortName) []Endpoint {
	return UsableEndpoints(t.Endpoints[name])
}

// Clone returns a copy that shares the immutable ServicePort and endpoint
// values but not the maps, so readers (dump) never race the sync loop.
func (t *Table) Clone() *Table {
	c := &Table{
		Services:  make(map[ServicePortName]*ServicePort, len(t.Services)),
		Endpoints: make(map[ServicePortName][]Endpoint, len(t.Endpoints)),
	}
	for k, v := range t.Services {
		c.Services[k] = v
	}
	for k, v := range t.Endpoints {
		c.Endpoints[k] = v
	}
	return c
}
