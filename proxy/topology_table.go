package proxy

import (
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy/conntrack"
)

// ApplyInZone is Apply for a node now in zone. A zone change (a relabelled
// Node) can change the targets of every topology-aware Service port, so
// those are added to the changed set. Finding them walks the Service ports
// once per zone change, which is rare; ordinary syncs stay incremental and
// never look at ports nobody changed. kube-proxy does a full sync instead.
// Stale conntrack entries are computed across the whole step (old zone and
// endpoints before, new after), so an endpoint that leaves our zone's
// hints loses its UDP/SCTP flows like a removed one.
func (t *Table) ApplyInZone(zone string, svcs map[types.NamespacedName]*serviceChange, eps map[types.NamespacedName]*endpointsChange) (sets.Set[ServicePortName], []conntrack.Filter) {
	changed := changedNames(svcs, eps)
	if zone != t.Topology.Zone {
		changed = changed.Union(t.topologyAwarePorts())
	}
	before := t.portStates(changed)
	t.Topology.Zone = zone
	t.fold(svcs, eps)
	return changed, staleFlows(before, t.portStates(changed))
}

// topologyAwarePorts lists the Service ports whose targets depend on the
// zone.
func (t *Table) topologyAwarePorts() sets.Set[ServicePortName] {
	out := sets.New[ServicePortName]()
	for name, sp := range t.Services {
		if sp.TopologyAware {
			out.Insert(name)
		}
	}
	return out
}
