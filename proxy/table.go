package proxy

import (
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy/conntrack"
)

// Table is the desired state: every Service port this node must program,
// with its endpoints. It is computed purely from the change trackers and
// handed read-only to the backend.
type Table struct {
	Services  map[ServicePortName]*ServicePort
	Endpoints map[ServicePortName][]Endpoint
	// Node is this node's state: its name and zone, which the targets of
	// topology-aware Service ports follow (topology.go), and its primary
	// IPs, on which --nodeport-addresses primary serves NodePorts.
	Node NodeState
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{
		Services:  map[ServicePortName]*ServicePort{},
		Endpoints: map[ServicePortName][]Endpoint{},
	}
}

// Apply folds a batch of tracked changes into the table. It returns the
// service ports whose programming may have to change, and the conntrack
// entries that will be stale once the new rules are in.
func (t *Table) Apply(svcs map[types.NamespacedName]*serviceChange, eps map[types.NamespacedName]*endpointsChange) (sets.Set[ServicePortName], []conntrack.Filter) {
	changed, stale, _ := t.ApplyNode(t.Node, svcs, eps)
	return changed, stale
}

// fold writes the changes into the maps.
func (t *Table) fold(svcs map[types.NamespacedName]*serviceChange, eps map[types.NamespacedName]*endpointsChange) {
	foldChanges(t.Services, svcs)
	foldChanges(t.Endpoints, eps)
}

func changedNames(svcs map[types.NamespacedName]*serviceChange, eps map[types.NamespacedName]*endpointsChange) sets.Set[ServicePortName] {
	changed := sets.New[ServicePortName]()
	insertChangedNames(changed, svcs)
	insertChangedNames(changed, eps)
	return changed
}

func keysOf[V any](m map[ServicePortName]V) []ServicePortName {
	out := make([]ServicePortName, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Targets returns the endpoints that receive new connections for name
// under the Cluster policy: all usable endpoints, wherever they run, or,
// for a topology-aware port whose hints can be trusted, those hinted for
// this node or zone (TopologyEndpoints).
func (t *Table) Targets(name ServicePortName) []Endpoint {
	return t.targetsAmong(name, t.Endpoints[name])
}

func (t *Table) targetsAmong(name ServicePortName, eps []Endpoint) []Endpoint {
	if sp := t.Services[name]; sp != nil && sp.TopologyAware {
		return TopologyEndpoints(eps, t.Node)
	}
	return UsableEndpoints(eps)
}

// LocalTargets returns the endpoints that receive new connections for
// name under a Local policy (see LocalEndpoints).
func (t *Table) LocalTargets(name ServicePortName) []Endpoint {
	return LocalEndpoints(t.Endpoints[name])
}

// FamilyTargets and FamilyLocalTargets are Targets and LocalTargets over
// the endpoints of one IP family (is4) only. A dual-stack Service port has
// an IPv4 and an IPv6 EndpointSlice under one name, and each family's
// backend must choose among its own endpoints, as kube-proxy's per-family
// proxiers do: IPv4 endpoints all ready must not hide the IPv6 ones that
// are only serving-terminating.
func (t *Table) FamilyTargets(name ServicePortName, is4 bool) []Endpoint {
	return t.targetsAmong(name, endpointsOfFamily(t.Endpoints[name], is4))
}

// FamilyLocalTargets: see FamilyTargets.
func (t *Table) FamilyLocalTargets(name ServicePortName, is4 bool) []Endpoint {
	return LocalEndpoints(endpointsOfFamily(t.Endpoints[name], is4))
}

// endpointsOfFamily returns eps itself (capped, read-only) when all are
// of the family, as on every single-stack cluster: no copy per call.
func endpointsOfFamily(eps []Endpoint, is4 bool) []Endpoint {
	if allOfFamily(eps, is4) {
		return eps[:len(eps):len(eps)]
	}
	out := make([]Endpoint, 0, len(eps))
	for _, ep := range eps {
		if ep.Addr.Is4() == is4 {
			out = append(out, ep)
		}
	}
	return out
}

func allOfFamily(eps []Endpoint, is4 bool) bool {
	for i := range eps {
		if eps[i].Addr.Is4() != is4 {
			return false
		}
	}
	return true
}

// FrontendTargets returns the endpoints that traffic reaching name through
// a frontend of kind may go to. For an external frontend under
// externalTrafficPolicy Local that is the local endpoints for clients
// outside the cluster plus all endpoints for pods and the node itself,
// which kube-proxy short-circuits to the Cluster policy.
func (t *Table) FrontendTargets(name ServicePortName, kind FrontendKind) []Endpoint {
	sp := t.Services[name]
	if sp == nil {
		return nil
	}
	switch {
	case !sp.LocalOnly(kind):
		return t.Targets(name)
	case kind == ClusterIPFrontend:
		return t.LocalTargets(name)
	}
	return unionEndpoints(t.Targets(name), t.LocalTargets(name))
}

func unionEndpoints(a, b []Endpoint) []Endpoint {
	seen := make(map[Endpoint]bool, len(a))
	out := make([]Endpoint, 0, len(a)+len(b))
	for _, list := range [][]Endpoint{a, b} {
		for _, ep := range list {
			if !seen[ep] {
				seen[ep] = true
				out = append(out, ep)
			}
		}
	}
	return out
}

// Clone returns a copy that shares the immutable ServicePort and endpoint
// values but not the maps, so readers (dump) never race the sync loop.
func (t *Table) Clone() *Table {
	c := &Table{
		Services:  make(map[ServicePortName]*ServicePort, len(t.Services)),
		Endpoints: make(map[ServicePortName][]Endpoint, len(t.Endpoints)),
		Node:      t.Node,
	}
	for k, v := range t.Services {
		c.Services[k] = v
	}
	for k, v := range t.Endpoints {
		c.Endpoints[k] = v
	}
	return c
}
