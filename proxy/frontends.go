package proxy

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"
)

// FrontendKind says how a client reaches a Service port.
type FrontendKind int

const (
	ClusterIPFrontend FrontendKind = iota
	ExternalIPFrontend
	LoadBalancerFrontend
	NodePortFrontend
)

// Frontend is one (address, protocol, port) a Service port answers on.
// Addr is unset for a NodePort, which answers on the node's addresses.
type Frontend struct {
	Kind     FrontendKind
	Addr     netip.Addr
	Port     int32
	Protocol v1.Protocol
}

// Frontends lists every frontend of sp in a fixed order (cluster IPs,
// external IPs, load-balancer IPs, NodePort), so rendering is
// deterministic.
func (sp *ServicePort) Frontends() []Frontend {
	var out []Frontend
	add := func(kind FrontendKind, addrs []netip.Addr) {
		for _, a := range addrs {
			out = append(out, Frontend{Kind: kind, Addr: a, Port: sp.Port, Protocol: sp.Protocol})
		}
	}
	add(ClusterIPFrontend, sp.ClusterIPs)
	add(ExternalIPFrontend, sp.ExternalIPs)
	add(LoadBalancerFrontend, sp.LoadBalancerIPs)
	if sp.NodePort > 0 {
		out = append(out, Frontend{Kind: NodePortFrontend, Port: sp.NodePort, Protocol: sp.Protocol})
	}
	return out
}
