//go:build e2e

package e2e

import (
	"fmt"
	"strings"
)

// The manifests are written as YAML text, the way a person would put them
// in the agent's folder, so the suite also exercises the folder parser.

const nodeName = "nnt-node"

// port is one Service port; TCP and UDP variants share numbers.
type port struct {
	Name     string
	Protocol string // TCP or UDP
	Port     int
	Target   int
	NodePort int // 0: none
}

// service describes a v1 Service.
type service struct {
	Name      string
	Type      string // ClusterIP, NodePort, LoadBalancer
	ClusterIP string
	// ClusterIPs, when set, are all the Service's ClusterIPs in
	// ipFamilies order (dual-stack: two); empty means [ClusterIP].
	ClusterIPs  []string
	Ports       []port
	ExternalIPs []string
	LBIngress   []string
	// Optional fields, left out of the YAML when empty.
	ExternalTrafficPolicy string // Cluster or Local
	InternalTrafficPolicy string // Cluster or Local
	SessionAffinity       string // None or ClientIP
	HealthCheckNodePort   int    // 0: none
}

// endpoint is one EndpointSlice endpoint backed by pod Pod at IP.
type endpoint struct {
	Pod, IP                     string
	Ready, Serving, Terminating bool
	Node                        string // nodeName ("" means this node)
}

// tcpUDP returns a TCP and a UDP port, both port -> 8080 (nodePort np).
func tcpUDP(p, np int) []port {
	return []port{
		{Name: "tcp", Protocol: "TCP", Port: p, Target: 8080, NodePort: np},
		{Name: "udp", Protocol: "UDP", Port: p, Target: 8080, NodePort: np},
	}
}

func (s service) YAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: default\n", s.Name)
	ips := s.ClusterIPs
	if len(ips) == 0 {
		ips = []string{s.ClusterIP}
	}
	fmt.Fprintf(&b, "spec:\n  type: %s\n  clusterIP: %s\n  clusterIPs: [%s]\n", s.Type, ips[0], strings.Join(ips, ", "))
	policy := "SingleStack"
	if len(ips) > 1 {
		policy = "RequireDualStack"
	}
	fmt.Fprintf(&b, "  ipFamilyPolicy: %s\n  ipFamilies: [%s]\n  ports:\n", policy, strings.Join(familiesOf(ips), ", "))
	for _, p := range s.Ports {
		fmt.Fprintf(&b, "  - name: %s\n    protocol: %s\n    port: %d\n    targetPort: %d\n", p.Name, p.Protocol, p.Port, p.Target)
		if p.NodePort != 0 {
			fmt.Fprintf(&b, "    nodePort: %d\n", p.NodePort)
		}
	}
	for k, v := range map[string]string{"externalTrafficPolicy": s.ExternalTrafficPolicy,
		"internalTrafficPolicy": s.InternalTrafficPolicy, "sessionAffinity": s.SessionAffinity} {
		if v != "" {
			fmt.Fprintf(&b, "  %s: %s\n", k, v)
		}
	}
	if s.HealthCheckNodePort != 0 {
		fmt.Fprintf(&b, "  healthCheckNodePort: %d\n", s.HealthCheckNodePort)
	}
	if len(s.ExternalIPs) > 0 {
		fmt.Fprintf(&b, "  externalIPs: [%s]\n", strings.Join(s.ExternalIPs, ", "))
	}
	if len(s.LBIngress) > 0 {
		b.WriteString("status:\n  loadBalancer:\n    ingress:\n")
		for _, ip := range s.LBIngress {
			fmt.Fprintf(&b, "    - ip: %s\n", ip)
		}
	}
	return b.String()
}

// sliceYAML returns the EndpointSlice "<svc>-1" of Service svc with the
// ports of the Service's targets.
func sliceYAML(svc service, eps ...endpoint) string {
	return namedSliceYAML(svc.Name+"-1", svc, eps...)
}

// namedSliceYAML is sliceYAML for a slice called name (a Service may have
// several slices).
func namedSliceYAML(name string, svc service, eps ...endpoint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: %s\n  namespace: default\n", name)
	addressType := "IPv4"
	if len(eps) > 0 {
		addressType = familiesOf([]string{eps[0].IP})[0]
	}
	fmt.Fprintf(&b, "  labels:\n    kubernetes.io/service-name: %s\naddressType: %s\nports:\n", svc.Name, addressType)
	for _, p := range svc.Ports {
		fmt.Fprintf(&b, "- name: %s\n  protocol: %s\n  port: %d\n", p.Name, p.Protocol, p.Target)
	}
	if len(eps) == 0 {
		b.WriteString("endpoints: []\n")
	} else {
		b.WriteString("endpoints:\n")
	}
	for _, e := range eps {
		node := e.Node
		if node == "" {
			node = nodeName
		}
		fmt.Fprintf(&b, "- addresses: [%s]\n  conditions: {ready: %t, serving: %t, terminating: %t}\n",
			e.IP, e.Ready, e.Serving, e.Terminating)
		fmt.Fprintf(&b, "  nodeName: %s\n  targetRef: {kind: Pod, namespace: default, name: %s}\n", node, e.Pod)
	}
	return b.String()
}

// familiesOf names the IP family of each address.
func familiesOf(ips []string) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = "IPv4"
		if strings.Contains(ip, ":") {
			out[i] = "IPv6"
		}
	}
	return out
}

// nodeYAML is the agent's own Node, with the node's outside address.
func nodeYAML(ip string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Node\nmetadata:\n  name: %s\nstatus:\n  addresses:\n  - type: InternalIP\n    address: %s\n", nodeName, ip)
}
