package proxy

import (
	"maps"
	"net/netip"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// HealthCheck is what a Service's health-check node port reports.
type HealthCheck struct {
	NodePort int32
	// LocalEndpoints counts this node's ready endpoints (distinct
	// addresses over the Service's ports).
	LocalEndpoints int
}

// HealthCheckSink serves health-check node ports. It gets every Service
// that has one after each successful sync, so load balancers never hear of
// endpoints the rules do not send traffic to yet.
type HealthCheckSink interface {
	SyncHealthChecks(map[types.NamespacedName]HealthCheck)
}

// healthChecks keeps, incrementally, the health-check state of the Services
// that have a health-check node port: a change costs its Service's ports,
// not a scan of the table.
type healthChecks struct {
	ports    map[types.NamespacedName]map[ServicePortName][]netip.Addr
	services map[types.NamespacedName]HealthCheck
}

func newHealthChecks() *healthChecks {
	return &healthChecks{
		ports:    map[types.NamespacedName]map[ServicePortName][]netip.Addr{},
		services: map[types.NamespacedName]HealthCheck{},
	}
}

// update recomputes the Services of the changed ports from t.
func (h *healthChecks) update(t *Table, changed sets.Set[ServicePortName]) {
	touched := sets.New[types.NamespacedName]()
	for name := range changed {
		touched.Insert(name.NamespacedName)
		sp := t.Services[name]
		if sp == nil || sp.HealthCheckNodePort == 0 {
			delete(h.ports[name.NamespacedName], name)
			continue
		}
		if h.ports[name.NamespacedName] == nil {
			h.ports[name.NamespacedName] = map[ServicePortName][]netip.Addr{}
		}
		h.ports[name.NamespacedName][name] = localReadyAddrs(t.Endpoints[name])
	}
	for svc := range touched {
		h.recompute(t, svc)
	}
}

func (h *healthChecks) recompute(t *Table, svc types.NamespacedName) {
	ports := h.ports[svc]
	if len(ports) == 0 {
		delete(h.ports, svc)
		delete(h.services, svc)
		return
	}
	addrs := sets.New[netip.Addr]()
	var nodePort int32
	for name, list := range ports {
		addrs.Insert(list...)
		nodePort = t.Services[name].HealthCheckNodePort
	}
	h.services[svc] = HealthCheck{NodePort: nodePort, LocalEndpoints: addrs.Len()}
}

// snapshot is a copy the sink may keep.
func (h *healthChecks) snapshot() map[types.NamespacedName]HealthCheck {
	return maps.Clone(h.services)
}

// localReadyAddrs: terminating endpoints do not count, so load balancers
// drain a node whose pods are going away (KEP-1669, as kube-proxy).
func localReadyAddrs(eps []Endpoint) []netip.Addr {
	var out []netip.Addr
	for _, ep := range eps {
		if ep.IsLocal && ep.Ready {
			out = append(out, ep.Addr)
		}
	}
	return out
}
