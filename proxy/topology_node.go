package proxy

import (
	"maps"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// setNodeLabels records the Node's labels and tells whether a sync is
// needed: only when the zone differs from the one the table follows.
// Other label changes (kube-proxy resyncs on any) change nothing here.
func (p *Proxier) setNodeLabels(labels map[string]string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nodeLabels = maps.Clone(labels)
	zone := p.zone()
	if zone == p.tableZone {
		return false
	}
	klog.V(2).InfoS("Node zone changed; topology-aware Services will be re-evaluated", "zone", zone, "previous", p.tableZone)
	return true
}

// zone is the agent's Node's topology.kubernetes.io/zone label ("" when
// unset or unknown, which turns zone hints off: no endpoint is hinted for
// ""). Called with p.mu held.
func (p *Proxier) zone() string { return p.nodeLabels[v1.LabelTopologyZone] }
