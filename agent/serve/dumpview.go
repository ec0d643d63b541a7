package serve

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/nodenet/nodenet/proxy"
)

// DumpView is the JSON served at /dump: the desired table in a stable,
// sorted shape that does not change when proxy's internal types do.
// `nodenet dump` decodes it.
type DumpView struct {
	// Node is what the table knows of this node (absent from an agent
	// that predates it).
	Node *NodeView `json:"node,omitempty"`
	// Proxy is the agent's configuration that decides what its rules do
	// with a packet beyond the table: masquerade and NodePort addresses.
	Proxy        *ProxyConfigView  `json:"proxy,omitempty"`
	ServicePorts []ServicePortView `json:"servicePorts"`
}

// NodeView is the table's node state.
type NodeView struct {
	Name       string   `json:"name"`
	Zone       string   `json:"zone,omitempty"`
	PrimaryIPs []string `json:"primaryIPs,omitempty"`
}

// ProxyConfigView is the agent's flags that shape the rules.
type ProxyConfigView struct {
	Mode          string   `json:"mode"`
	ClusterCIDRs  []string `json:"clusterCIDRs,omitempty"`
	MasqueradeAll bool     `json:"masqueradeAll,omitempty"`
	// NodePortAddresses is --nodeport-addresses ("primary" or CIDRs;
	// empty: every local address but loopback).
	NodePortAddresses []string `json:"nodePortAddresses,omitempty"`
}

// ServicePortView is one Service port and the endpoints chosen for it.
type ServicePortView struct {
	// Service is "namespace/name".
	Service string `json:"service"`
	// PortName is the Service port's name, "" for an unnamed port.
	PortName        string   `json:"portName"`
	Protocol        string   `json:"protocol"`
	ClusterIPs      []string `json:"clusterIPs,omitempty"`
	Port            int32    `json:"port"`
	NodePort        int32    `json:"nodePort,omitempty"`
	ExternalIPs     []string `json:"externalIPs,omitempty"`
	LoadBalancerIPs []string `json:"loadBalancerIPs,omitempty"`
	// ShadowedClusterIPs are not answered on: an older Service claims them.
	ShadowedClusterIPs         []string       `json:"shadowedClusterIPs,omitempty"`
	LoadBalancerSourceRanges   []string       `json:"loadBalancerSourceRanges,omitempty"`
	SessionAffinitySeconds     int32          `json:"sessionAffinitySeconds,omitempty"`
	ExternalTrafficPolicyLocal bool           `json:"externalTrafficPolicyLocal,omitempty"`
	InternalTrafficPolicyLocal bool           `json:"internalTrafficPolicyLocal,omitempty"`
	HealthCheckNodePort        int32          `json:"healthCheckNodePort,omitempty"`
	TopologyAware              bool           `json:"topologyAware,omitempty"`
	Endpoints                  []EndpointView `json:"endpoints"`
}

// EndpointView is one backend of a Service port.
type EndpointView struct {
	// Address is "addr:port" ("[addr]:port" for IPv6), the DNAT target.
	Address     string `json:"address"`
	Ready       bool   `json:"ready"`
	Serving     bool   `json:"serving"`
	Terminating bool   `json:"terminating"`
	NodeName    string `json:"nodeName,omitempty"`
	Zone        string `json:"zone,omitempty"`
	// IsLocal: on this node (hairpin, and Local traffic policies).
	IsLocal bool `json:"isLocal,omitempty"`
	// Target: receives new connections under the Cluster policy, among
	// its IP family's endpoints (readiness, terminating fallback,
	// topology hints), exactly as the backends are told to program.
	Target bool `json:"target,omitempty"`
	// LocalTarget: receives new connections under a Local policy.
	LocalTarget bool `json:"localTarget,omitempty"`
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
	view.Node = &NodeView{Name: table.Node.Name, Zone: table.Node.Zone, PrimaryIPs: addrStrings(table.Node.PrimaryIPs)}
	for name, sp := range table.Services {
		view.ServicePorts = append(view.ServicePorts, newServicePortView(sp, table.Endpoints[name], targetsOf(table, name)))
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

// endpointTargets says which endpoints the table's target lists hold.
type endpointTargets struct{ cluster, local map[proxy.Endpoint]bool }

func targetsOf(t *proxy.Table, name proxy.ServicePortName) endpointTargets {
	out := endpointTargets{cluster: map[proxy.Endpoint]bool{}, local: map[proxy.Endpoint]bool{}}
	for _, is4 := range []bool{true, false} {
		for _, ep := range t.FamilyTargets(name, is4) {
			out.cluster[ep] = true
		}
		for _, ep := range t.FamilyLocalTargets(name, is4) {
			out.local[ep] = true
		}
	}
	return out
}

func newServicePortView(sp *proxy.ServicePort, endpoints []proxy.Endpoint, targets endpointTargets) ServicePortView {
	view := ServicePortView{
		Service:         sp.Name.NamespacedName.String(),
		PortName:        sp.Name.Port,
		Protocol:        string(sp.Protocol),
		ClusterIPs:      addrStrings(sp.ClusterIPs),
		Port:            sp.Port,
		NodePort:        sp.NodePort,
		ExternalIPs:     addrStrings(sp.ExternalIPs),
		LoadBalancerIPs: addrStrings(sp.LoadBalancerIPs),

		ShadowedClusterIPs:         addrStrings(sp.ShadowedClusterIPs),
		LoadBalancerSourceRanges:   addrStrings(sp.LoadBalancerSourceRanges),
		SessionAffinitySeconds:     sp.StickyMaxAgeSeconds,
		ExternalTrafficPolicyLocal: sp.ExternalPolicyLocal,
		InternalTrafficPolicyLocal: sp.InternalPolicyLocal,
		HealthCheckNodePort:        sp.HealthCheckNodePort,
		TopologyAware:              sp.TopologyAware,
		Endpoints:                  make([]EndpointView, 0, len(endpoints)),
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
			Zone:        ep.Zone,
			IsLocal:     ep.IsLocal,
			Target:      targets.cluster[ep],
			LocalTarget: targets.local[ep],
		})
	}
	return view
}

// addrStrings keeps nil for an empty list so omitempty drops the field.
func addrStrings[T fmt.Stringer](addrs []T) []string {
	if len(addrs) == 0 {
		return nil
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}
