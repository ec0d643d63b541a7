//go:build e2e

package contract

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/proxy"
)

// The representative table: one Service port of every shape the backend
// renders, dual-stack where it can be, so each family's payload has all
// of them. Addresses come in (IPv4, IPv6) pairs.

var (
	addr   = netip.MustParseAddr
	prefix = netip.MustParsePrefix
)

func portName(ns, name string, proto v1.Protocol) proxy.ServicePortName {
	return proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}, Port: "p", Protocol: proto}
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = addr(a)
	}
	return out
}

// endpoints are ready endpoints on port 8080; local ones (this node's)
// are listed first, nLocal of them.
func endpoints(nLocal int, ips ...string) []proxy.Endpoint {
	out := make([]proxy.Endpoint, len(ips))
	for i, ip := range ips {
		out[i] = proxy.Endpoint{Addr: addr(ip), Port: 8080, Ready: true, Serving: true, IsLocal: i < nLocal}
	}
	return out
}

var (
	svcWeb      = portName("default", "web", v1.ProtocolTCP)      // ClusterIP + NodePort, a local endpoint (hairpin)
	svcDNS      = portName("kube-system", "dns", v1.ProtocolUDP)  // UDP ClusterIP
	svcSticky   = portName("default", "sticky", v1.ProtocolTCP)   // session affinity
	svcEmpty    = portName("default", "empty", v1.ProtocolTCP)    // no endpoints: REJECT, NodePort too
	svcLB       = portName("shop", "front", v1.ProtocolTCP)       // LB IP, external IP, eTP Local
	svcRanged   = portName("shop", "ranged", v1.ProtocolTCP)      // LB source ranges
	svcRemote   = portName("shop", "remote", v1.ProtocolTCP)      // eTP and iTP Local without local endpoints: DROP
	svcSCTP     = portName("shop", "assoc", v1.ProtocolSCTP)      // SCTP NodePort
	svcV4Only   = portName("default", "legacy", v1.ProtocolTCP)   // single-stack IPv4
	svcInternal = portName("default", "internal", v1.ProtocolTCP) // iTP Local with a local endpoint
)

func representativeTable() *proxy.Table {
	t := proxy.NewTable()
	add := func(sp proxy.ServicePort, eps []proxy.Endpoint) {
		t.Services[sp.Name] = &sp
		if len(eps) > 0 {
			t.Endpoints[sp.Name] = eps
		}
	}
	add(proxy.ServicePort{Name: svcWeb, ClusterIPs: addrs("10.96.0.10", "fd00:96::a"), Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080},
		endpoints(1, "10.244.1.2", "10.244.2.3", "fd00:244:1::2", "fd00:244:2::3"))
	add(proxy.ServicePort{Name: svcDNS, ClusterIPs: addrs("10.96.0.53", "fd00:96::35"), Port: 53, Protocol: v1.ProtocolUDP},
		endpoints(0, "10.244.2.4", "fd00:244:2::4"))
	add(proxy.ServicePort{Name: svcSticky, ClusterIPs: addrs("10.96.0.20", "fd00:96::14"), Port: 80, Protocol: v1.ProtocolTCP, StickyMaxAgeSeconds: 10800},
		endpoints(0, "10.244.2.5", "10.244.2.6", "fd00:244:2::5", "fd00:244:2::6"))
	add(proxy.ServicePort{Name: svcEmpty, ClusterIPs: addrs("10.96.0.11", "fd00:96::b"), Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30081}, nil)
	add(proxy.ServicePort{Name: svcLB, ClusterIPs: addrs("10.96.1.20", "fd00:96::1:14"), Port: 443, Protocol: v1.ProtocolTCP, NodePort: 31000,
		ExternalIPs: addrs("203.0.113.7", "2001:db8:7::7"), LoadBalancerIPs: addrs("198.51.100.20", "2001:db8:51::20"),
		ExternalPolicyLocal: true, HealthCheckNodePort: 32000},
		endpoints(1, "10.244.1.7", "10.244.2.7", "fd00:244:1::7", "fd00:244:2::7"))
	add(proxy.ServicePort{Name: svcRanged, ClusterIPs: addrs("10.96.1.21", "fd00:96::1:15"), Port: 80, Protocol: v1.ProtocolTCP, NodePort: 31001,
		LoadBalancerIPs: addrs("198.51.100.21", "2001:db8:51::21"), LoadBalancerSourceRanges: []netip.Prefix{prefix("192.0.2.0/28"), prefix("2001:db8:c::/48")}},
		endpoints(0, "10.244.2.8", "fd00:244:2::8"))
	add(proxy.ServicePort{Name: svcRemote, ClusterIPs: addrs("10.96.2.31", "fd00:96::2:1f"), Port: 80, Protocol: v1.ProtocolTCP, NodePort: 31101,
		LoadBalancerIPs: addrs("198.51.100.31", "2001:db8:51::31"), ExternalPolicyLocal: true, InternalPolicyLocal: true},
		endpoints(0, "10.244.2.9", "fd00:244:2::9"))
	add(proxy.ServicePort{Name: svcSCTP, ClusterIPs: addrs("10.96.3.40", "fd00:96::3:28"), Port: 9000, Protocol: v1.ProtocolSCTP, NodePort: 31200},
		endpoints(0, "10.244.2.10", "fd00:244:2::a"))
	add(proxy.ServicePort{Name: svcV4Only, ClusterIPs: addrs("10.96.4.50"), Port: 80, Protocol: v1.ProtocolTCP, NodePort: 31300,
		ExternalIPs: addrs("2001:db8:7::8")}, endpoints(0, "10.244.2.11"))
	add(proxy.ServicePort{Name: svcInternal, ClusterIPs: addrs("10.96.4.60", "fd00:96::4:3c"), Port: 80, Protocol: v1.ProtocolTCP, InternalPolicyLocal: true},
		endpoints(1, "10.244.1.12", "10.244.2.12", "fd00:244:1::c", "fd00:244:2::c"))
	return t
}
