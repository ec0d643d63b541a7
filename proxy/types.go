package proxy

import (
	"fmt"
	"net/netip"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ServicePortName identifies one port of one Service: the unit the proxy
// programs. Port is the port's name ("" for an unnamed single port).
type ServicePortName struct {
	types.NamespacedName
	Port     string
	Protocol v1.Protocol
}

func (n ServicePortName) String() string {
	if n.Port == "" {
		return fmt.Sprintf("%s/%s", n.NamespacedName, n.Protocol)
	}
	return fmt.Sprintf("%s:%s/%s", n.NamespacedName, n.Port, n.Protocol)
}

// ServicePort is the backend-neutral description of one Service port: every
// address and port on which it must be reachable.
type ServicePort struct {
	Name            ServicePortName
	ClusterIPs      []netip.Addr
	Port            int32
	Protocol        v1.Protocol
	NodePort        int32
	ExternalIPs     []netip.Addr
	LoadBalancerIPs []netip.Addr
	// ShadowedClusterIPs are cluster IPs this port does not answer on
	// because an older Service claims the same address, port and protocol
	// (frontendclaims.go). They still say which IP families the Service is
	// in (InFamily), so its other frontends keep their families.
	ShadowedClusterIPs []netip.Addr
	// LoadBalancerSourceRanges, when not empty, are the only clients that
	// may reach LoadBalancerIPs (spec.loadBalancerSourceRanges); others
	// are dropped. NodePorts and external IPs are not restricted, as in
	// kube-proxy.
	LoadBalancerSourceRanges []netip.Prefix
	// StickyMaxAgeSeconds > 0 sends a client back to the endpoint it
	// reached last, until it has been idle that long (sessionAffinity:
	// ClientIP).
	StickyMaxAgeSeconds int32
	// ExternalPolicyLocal: externalTrafficPolicy Local on a Service with
	// external frontends (NodePort, load-balancer or external IPs), which
	// then go to this node's endpoints only, without masquerade.
	ExternalPolicyLocal bool
	// InternalPolicyLocal: internalTrafficPolicy Local; ClusterIPs go to
	// this node's endpoints only.
	InternalPolicyLocal bool
	// HealthCheckNodePort (> 0 with ExternalPolicyLocal only) is where
	// load balancers ask whether this node has local endpoints.
	HealthCheckNodePort int32
	// TopologyAware: the Service asks for topology-aware routing
	// (trafficDistribution or the topology-mode annotation), so its
	// Cluster-policy targets follow the endpoints' hints (topology.go).
	TopologyAware bool
}

// Endpoint is one backend of a Service port, as read from EndpointSlices.
type Endpoint struct {
	Addr        netip.Addr
	Port        int32
	Ready       bool
	Serving     bool
	Terminating bool
	NodeName    string
	Zone        string
	// ZoneHints and NodeHints are the EndpointSlice hints forZones and
	// forNodes: the zones (nodes) whose proxies should send it traffic.
	ZoneHints Hints
	NodeHints Hints
	// IsLocal: the endpoint runs on this node (its nodeName is ours), so a
	// connection from it to its own Service can come back to it (hairpin).
	IsLocal bool
}

// AddrPort is the endpoint's address and port, the DNAT target.
func (e Endpoint) AddrPort() netip.AddrPort { return netip.AddrPortFrom(e.Addr, uint16(e.Port)) }

// InFamily tells whether the Service is in the IP family is4 (IPv4 when
// true): whether it has a cluster IP of it, answered on or shadowed.
// spec.clusterIPs alone says which families' backends program a Service,
// NodePorts and external addresses included.
func (sp *ServicePort) InFamily(is4 bool) bool {
	for _, list := range [][]netip.Addr{sp.ClusterIPs, sp.ShadowedClusterIPs} {
		for _, a := range list {
			if a.Is4() == is4 {
				return true
			}
		}
	}
	return false
}
