package proxy

import (
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy/conntrack"
)

// ApplyNode is Apply with the node's state as of now. A zone change (a
// relabelled Node) can change the targets of every topology-aware Service
// port, so those are added to the changed set. Finding them walks the
// Service ports once per zone change, which is rare; ordinary syncs stay
// incremental and never look at ports nobody changed. kube-proxy does a
// full sync instead. Stale conntrack entries are computed across the
// whole step (old zone and endpoints before, new after), so an endpoint
// that leaves our zone's hints loses its UDP/SCTP flows like a removed one.
//
// nodeChanged is true when the node's addresses (Node.PrimaryIPs) changed:
// no Service port changed, but a backend that renders them (NodePorts on
// the primary IPs) must be called even with nothing in changed; it sees
// the new addresses in the table and decides what to rewrite.
func (t *Table) ApplyNode(node NodeState, svcs map[types.NamespacedName]*serviceChange, eps map[types.NamespacedName]*endpointsChange) (changed sets.Set[ServicePortName], stale []conntrack.Filter, nodeChanged bool) {
	changed = changedNames(svcs, eps)
	if node.Zone != t.Node.Zone {
		changed = changed.Union(t.topologyAwarePorts())
	}
	nodeChanged = !node.sameAddresses(t.Node)
	before := t.portStates(changed)
	t.Node = node
	t.fold(svcs, eps)
	return changed, staleFlows(before, t.portStates(changed)), nodeChanged
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
