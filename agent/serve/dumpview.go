package serve

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/nodenet/nodenet/proxy"
)

// DumpView is the JSON served at /dump: the desired table in a stable,
// sorted shape that does not change when proxy's internal types do.
// `nodenet dump` decodes it.
type DumpView struct {
	ServicePorts []ServicePortView `json:"servicePorts"`
}

// ServicePortView is one Service port and the endpoints chosen for it.
type ServicePortView struct {
	// Service is "namespace/name".
	Service string `json:"service"`
	// PortName is the Service port's name, "" for an unnamed port.
	PortName        string         `json:"portName"`
	Protocol        string         `json:"protocol"`
	ClusterIPs      []string       `json:"clusterIPs,omitempty"`
	Port            int32          `json:"port"`
	NodePort        int32          `json:"nodePort,omitempty"`
	ExternalIPs     []string       `json:"externalIPs,omitempty"`
	LoadBalancerIPs []string       `json:"loadBalancerIPs,omitempty"`
	Endpoints       []EndpointView `json:"endpoints"`
}

// EndpointView is one backend of a Service port.
type EndpointView struct {
	// Address is "addr:port" ("[addr]:port" for IPv6), the DNAT target.
	Address     string `json:"address"`
	Ready       bool   `json:"ready"`
	Serving     bool   `json:"serving"`
	Terminating bool   `json:"terminating"`
	NodeName    string `json:"nodeName,omitempty"`
}

// NewDumpView converts table. Service ports are sorted by name and
// endpoints by address, so two dumps of the same state are identical.
// Endpoints of Service ports absent from table.Services are left out:
// nothing programs them.
func NewDumpView(table *proxy.Table) DumpView {
	view := DumpView{ServicePorts: []ServicePortView{}}
	if table == nil {
		return view
	}
	for name, sp := range table.Services {
		view.ServicePorts = append(view.ServicePorts, newServicePortView(sp, table.Endpoints[name]))
	}
	slices.SortFunc(view.ServicePorts, func(a, b ServicePortView) int {
		return cmp.Or(
			cmp.Compare(a.Service, b.Service),
			cmp.Compare(a.PortName, b.PortName),
			cmp.Compare(a.Protocol, b.Protocol),
		)
	})
	return view
}

func newServicePortView(sp *proxy.ServicePort, endpoints []proxy.Endpoint) ServicePortView {
	view := ServicePortView{
		Service:         sp.Name.NamespacedName.String(),
		PortName:        sp.Name.Port,
		Protocol:        string(sp.Protocol),
		ClusterIPs:      addrStrings(sp.ClusterIPs),
		Port:            sp.Port,
		NodePort:        sp.NodePort,
		ExternalIPs:     addrStrings(sp.ExternalIPs),
		LoadBalancerIPs: addrStrings(sp.LoadBalancerIPs),
		Endpoints:       make([]EndpointView, 0, len(endpoints)),
	}
	sorted := slices.Clone(endpoints)
	slices.SortFunc(sorted, func(a, b proxy.Endpoint) int { return a.AddrPort().Compare(b.AddrPort()) })
	for _, ep := range sorted {
		view.Endpoints = append(view.Endpoints, EndpointView{
			Address:     ep.AddrPort().String(),
			Ready:       ep.Ready,
			Serving:     ep.Serving,
			Terminating: ep.Terminating,
			NodeName:    ep.NodeName,
		})
	}
	return view
}

// addrStrings keeps nil for an empty list so omitempty drops the field.
func addrStrings(addrs []netip.Addr) []string {
	if len(addrs) == 0 {
		return nil
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}
