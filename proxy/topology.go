package proxy

import (
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
)

// Topology-aware routing, as kube-proxy's pkg/proxy/topology.go: the
// EndpointSlice controller writes hints (forZones, forNodes) on endpoints
// of Services that ask for it, and each node's proxy keeps, for
// Cluster-policy traffic, only the endpoints hinted for its node or zone.

// Hints is a set of zone or node names in a canonical form (sorted,
// distinct, comma-joined; "" is none). A string rather than a set keeps
// Endpoint comparable: it is compared with == and used as a map key
// (unionEndpoints). Zone label values and node names cannot hold a comma.
type Hints string

func hintsOf(names []string) Hints {
	names = slices.Clone(names)
	slices.Sort(names)
	names = slices.Compact(names)
	names = slices.DeleteFunc(names, func(s string) bool { return s == "" })
	return Hints(strings.Join(names, ","))
}

// Has tells whether name is among the hints.
func (h Hints) Has(name string) bool {
	if name == "" {
		return false
	}
	for n := range strings.SplitSeq(string(h), ",") {
		if n == name {
			return true
		}
	}
	return false
}

// readHints copies an endpoint's hints. An empty list counts as no hints,
// as kube-proxy's endpointslicecache reads them.
func readHints(ep *Endpoint, h *discovery.EndpointHints) {
	if h == nil {
		return
	}
	zones := make([]string, 0, len(h.ForZones))
	for _, z := range h.ForZones {
		zones = append(zones, z.Name)
	}
	nodes := make([]string, 0, len(h.ForNodes))
	for _, n := range h.ForNodes {
		nodes = append(nodes, n.Name)
	}
	ep.ZoneHints, ep.NodeHints = hintsOf(zones), hintsOf(nodes)
}

// topologyAware tells whether svc asks for topology-aware routing: any
// spec.trafficDistribution (PreferClose, PreferSameZone, PreferSameNode;
// the API server rejects others), else the topology-mode annotation (or
// its deprecated topology-aware-hints predecessor) set to Auto, which is
// what kube-proxy's canUseTopology checked before looking at the hints.
func topologyAware(svc *v1.Service) bool {
	if td := svc.Spec.TrafficDistribution; td != nil && *td != "" {
		return true
	}
	mode := svc.Annotations[v1.DeprecatedAnnotationTopologyAwareHints]
	if m := svc.Annotations[v1.AnnotationTopologyMode]; m != "" {
		mode = m
	}
	return mode == "Auto" || mode == "auto"
}

// TopologyEndpoints picks the endpoints that take new Cluster-policy
// connections of a topology-aware Service port, as kube-proxy's
// CategorizeEndpoints: the ready endpoints hinted for this node or zone
// when the hints can be trusted (topologyFilter), else exactly what
// UsableEndpoints picks (all ready, else serving-terminating).
func TopologyEndpoints(eps []Endpoint, at NodeState) []Endpoint {
	keep := topologyFilter(eps, at)
	if keep == nil {
		return UsableEndpoints(eps)
	}
	// topologyFilter only trusts hints that name at least one ready
	// endpoint, so this is never empty and the terminating fallback never
	// applies here.
	var out []Endpoint
	for _, ep := range eps {
		if ep.Ready && keep(ep) {
			out = append(out, ep)
		}
	}
	return out
}

// topologyFilter mirrors kube-proxy's topologyModeFromHints. Only ready
// endpoints are looked at; hints are trusted only when EVERY one of them
// has hints of a kind and at least one names us, so a half-updated slice
// or a zone the controller did not plan for spreads traffic over all
// endpoints instead of black-holing it. Node hints (PreferSameNode) win
// over zone hints, as upstream. nil means: do not filter.
func topologyFilter(eps []Endpoint, at NodeState) func(Endpoint) bool {
	var ready []Endpoint
	for _, ep := range eps {
		if ep.Ready {
			ready = append(ready, ep)
		}
	}
	byNode := func(ep Endpoint) bool { return ep.NodeHints.Has(at.Name) }
	if hintsCover(ready, func(ep Endpoint) Hints { return ep.NodeHints }, byNode) {
		return byNode
	}
	byZone := func(ep Endpoint) bool { return ep.ZoneHints.Has(at.Zone) }
	if hintsCover(ready, func(ep Endpoint) Hints { return ep.ZoneHints }, byZone) {
		return byZone
	}
	return nil
}

// hintsCover: every endpoint has hints of the kind hints returns, and at
// least one of them matches.
func hintsCover(ready []Endpoint, hints func(Endpoint) Hints, match func(Endpoint) bool) bool {
	matched := false
	for _, ep := range ready {
		if hints(ep) == "" {
			return false
		}
		matched = matched || match(ep)
	}
	return matched
}
