package proxy

import (
	"net/netip"
	"sort"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// serviceNameOf returns the Service a slice belongs to, from the label the
// EndpointSlice controller sets; ok is false for unowned slices.
func serviceNameOf(slice *discovery.EndpointSlice) (types.NamespacedName, bool) {
	name := slice.Labels[discovery.LabelServiceName]
	if name == "" {
		return types.NamespacedName{}, false
	}
	return types.NamespacedName{Namespace: slice.Namespace, Name: name}, true
}

// endpointsFromSlices merges the slices of one Service into endpoints per
// service port. An address that appears in two slices (as happens while the
// controller moves it) is listed once, as kube-proxy does. The result is
// sorted so that equal inputs compare equal.
func endpointsFromSlices(svc types.NamespacedName, slices map[string]*discovery.EndpointSlice, nodeName string) map[ServicePortName][]Endpoint {
	out := map[ServicePortName][]Endpoint{}
	seen := map[ServicePortName]map[netip.AddrPort]bool{}
	// Each port's list is made once with room for every endpoint: grown
	// by append, 10 endpoints took the room of 16 (the table holds these
	// lists, 100k endpoints at 10k Services).
	room := 0
	for _, slice := range slices {
		room += len(slice.Endpoints)
	}
	for _, slice := range slices {
		if slice.AddressType == discovery.AddressTypeFQDN {
			continue
		}
		for _, port := range slice.Ports {
			key, num, ok := slicePortKey(svc, port)
			if !ok {
				continue
			}
			if seen[key] == nil {
				seen[key] = make(map[netip.AddrPort]bool, room)
				out[key] = make([]Endpoint, 0, room)
			}
			for i := range slice.Endpoints {
				ep, ok := endpointOf(&slice.Endpoints[i], num, nodeName)
				// An address of the other family would break the whole
				// restore of that family's table, not just this slice.
				if !ok || !familyMatches(slice.AddressType, ep.Addr) || seen[key][ep.AddrPort()] {
					continue
				}
				seen[key][ep.AddrPort()] = true
				out[key] = append(out[key], ep)
			}
		}
	}
	for key := range out {
		if len(out[key]) == 0 {
			// No valid endpoint: no entry, so that it compares equal to
			// having no slice at all.
			delete(out, key)
			continue
		}
		sortEndpoints(out[key])
	}
	return out
}

func slicePortKey(svc types.NamespacedName, port discovery.EndpointPort) (ServicePortName, int32, bool) {
	if port.Port == nil || *port.Port < 1 || *port.Port > 65535 {
		return ServicePortName{}, 0, false
	}
	key := ServicePortName{NamespacedName: svc, Protocol: v1.ProtocolTCP}
	if port.Name != nil {
		key.Port = *port.Name
	}
	if port.Protocol != nil {
		key.Protocol = *port.Protocol
	}
	return key, *port.Port, true
}

// endpointOf reads one endpoint. Only the first address is used, as the
// EndpointSlice API says consumers must. Unset conditions take the API's
// documented defaults: ready and serving unless said otherwise.
func endpointOf(e *discovery.Endpoint, port int32, nodeName string) (Endpoint, bool) {
	if len(e.Addresses) == 0 {
		return Endpoint{}, false
	}
	addr, err := netip.ParseAddr(e.Addresses[0])
	if err != nil {
		return Endpoint{}, false
	}
	ep := Endpoint{Addr: addr.Unmap(), Port: port, Ready: true}
	if e.Conditions.Ready != nil {
		ep.Ready = *e.Conditions.Ready
	}
	ep.Serving = ep.Ready
	if e.Conditions.Serving != nil {
		ep.Serving = *e.Conditions.Serving
	}
	if e.Conditions.Terminating != nil {
		ep.Terminating = *e.Conditions.Terminating
	}
	if e.NodeName != nil {
		ep.NodeName = *e.NodeName
		ep.IsLocal = ep.NodeName != "" && ep.NodeName == nodeName
	}
	if e.Zone != nil {
		ep.Zone = *e.Zone
	}
	readHints(&ep, e.Hints)
	return ep, true
}

func sortEndpoints(eps []Endpoint) {
	sort.Slice(eps, func(i, j int) bool {
		if c := eps[i].Addr.Compare(eps[j].Addr); c != 0 {
			return c < 0
		}
		return eps[i].Port < eps[j].Port
	})
}

// UsableEndpoints picks the endpoints that receive new connections: the
// ready ones, or, when none is ready, the serving-but-terminating ones, so a
// rolling update of a single replica does not black-hole traffic
// (kube-proxy's pkg/proxy/topology.go does the same).
//
// When every endpoint is ready (the usual case) it returns eps itself,
// capped so that an append copies: a full sync asks for the targets of
// every Service port, several times, and copying them each time was ~100
// MB of garbage at 10k Services × 10 endpoints. Callers must not modify
// the result (the table's endpoints are shared, read-only).
func UsableEndpoints(eps []Endpoint) []Endpoint {
	if allReady(eps) {
		return eps[:len(eps):len(eps)]
	}
	var ready, terminating []Endpoint
	for _, ep := range eps {
		switch {
		case ep.Ready:
			ready = append(ready, ep)
		case ep.Serving && ep.Terminating:
			terminating = append(terminating, ep)
		}
	}
	if len(ready) > 0 {
		return ready
	}
	return terminating
}

func allReady(eps []Endpoint) bool {
	for i := range eps {
		if !eps[i].Ready {
			return false
		}
	}
	return true
}
