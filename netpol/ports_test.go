package netpol

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nodenet/nodenet/test/objects"
)

// ingressPorts isolates every pod of x for ingress, allowing from anywhere
// on ports.
func ingressPorts(name string, ports ...networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
	return objects.WithIngress(objects.Policy("x", name, objects.Selector(), objects.Ingress), nil, ports...)
}

// egressPorts isolates x/a for egress, allowing to `to` on ports.
func egressPorts(name string, to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
	return objects.WithEgress(objects.Policy("x", name, objects.Selector("app=a"), objects.Egress), to, ports...)
}

func TestPorts(t *testing.T) {
	runProbeCases(t, []probeCase{
		{
			name:     "port number and protocol",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("tcp-8080", objects.PortNum(tcp, 8080))},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), tcp, 8080).by("x/tcp-8080"),
				deny(pod("y/a"), pod("x/a"), tcp, 8081),
				deny(pod("y/a"), pod("x/a"), udp, 8080),
				deny(pod("y/a"), pod("x/a"), sctp, 8080),
			},
		},
		{
			name:     "protocol defaults to TCP",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("default", objects.PortDefaultProtocol(80))},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), tcp, 80),
				deny(pod("y/a"), pod("x/a"), udp, 80),
			},
		},
		{
			name:     "protocol without port is every port of it",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("all-udp", objects.PortProto(udp))},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), udp, 1),
				allow(pod("y/a"), pod("x/a"), udp, 65535),
				deny(pod("y/a"), pod("x/a"), tcp, 53),
			},
		},
		{
			name:     "endPort range is inclusive",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("range", objects.PortRange(tcp, 8000, 8100))},
			probes: []probe{
				deny(pod("y/a"), pod("x/a"), tcp, 7999),
				allow(pod("y/a"), pod("x/a"), tcp, 8000),
				allow(pod("y/a"), pod("x/a"), tcp, 8100),
				deny(pod("y/a"), pod("x/a"), tcp, 8101),
				deny(pod("y/a"), pod("x/a"), udp, 8050),
			},
		},
		{
			name: "SCTP by number, by name and as a range",
			policies: []*networkingv1.NetworkPolicy{
				ingressPorts("sctp", objects.PortNum(sctp, 7000), objects.PortName(sctp, "assoc"), objects.PortRange(sctp, 7100, 7200)),
			},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), sctp, 7000).by("x/sctp"),
				allow(pod("y/a"), pod("x/a"), sctp, 9000),
				allow(pod("y/a"), pod("x/a"), sctp, 7150),
				deny(pod("y/a"), pod("x/a"), tcp, 7000),
				deny(pod("y/a"), pod("x/a"), tcp, 9000),
				deny(pod("y/a"), pod("x/a"), sctp, 9001),
				deny(pod("y/a"), pod("x/b"), sctp, 9000), // x/b has no "assoc"
			},
		},
		{
			name:     "ingress named port resolves in each destination pod",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("http", objects.PortName(tcp, "http"))},
			probes: []probe{
				allow(pod("x/b"), pod("x/a"), tcp, 8080),
				deny(pod("x/b"), pod("x/a"), tcp, 8081),
				allow(pod("x/a"), pod("x/b"), tcp, 8081),
				deny(pod("x/a"), pod("x/b"), tcp, 8080),
			},
		},
		{
			name: "ingress named port also applies with an ipBlock peer",
			policies: []*networkingv1.NetworkPolicy{
				objects.WithIngress(objects.Policy("x", "block-http", objects.Selector(), objects.Ingress),
					objects.Peers(objects.IPBlockPeer("192.0.2.0/24")), objects.PortName(tcp, "http")),
			},
			probes: []probe{
				allow(ip("192.0.2.1"), pod("x/a"), tcp, 8080),
				deny(ip("192.0.2.1"), pod("x/a"), tcp, 8081),
			},
		},
		{
			name:     "named port must match the protocol too",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("udp-http", objects.PortName(udp, "http"))},
			probes: []probe{
				deny(pod("y/a"), pod("x/a"), tcp, 8080),
				deny(pod("y/a"), pod("x/a"), udp, 8080),
			},
		},
		{
			name:     "unresolvable named port allows nothing, not everything",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("missing", objects.PortName(tcp, "nope"))},
			probes: []probe{
				deny(pod("y/a"), pod("x/a"), tcp, 8080),
				deny(pod("y/a"), pod("x/a"), udp, 53),
			},
		},
		{
			name:     "numbered and unresolvable named ports in one rule",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("mixed", objects.PortNum(udp, 53), objects.PortName(tcp, "nope"))},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), udp, 53),
				deny(pod("y/a"), pod("x/a"), tcp, 53),
			},
		},
		{
			name: "egress named port resolves in each peer pod",
			policies: []*networkingv1.NetworkPolicy{
				egressPorts("http-out", objects.Peers(objects.NamespacePeer(objects.Selector())), objects.PortName(tcp, "http")),
			},
			probes: []probe{
				allow(pod("x/a"), pod("x/c"), tcp, 8082).by("x/http-out"),
				allow(pod("x/a"), pod("y/b"), tcp, 9090),
				allow(pod("x/a"), pod("x/b"), tcp, 8081),
				deny(pod("x/a"), pod("y/b"), tcp, 8082),
				deny(pod("x/a"), pod("x/c"), tcp, 9090),
				deny(pod("x/a"), pod("z/a"), tcp, 8080), // z/a has no named ports
			},
		},
		{
			name: "egress named port to an ipBlock matches nothing",
			policies: []*networkingv1.NetworkPolicy{
				egressPorts("block-http", objects.Peers(objects.IPBlockPeer("10.2.0.0/16")), objects.PortName(tcp, "http"), objects.PortNum(udp, 53)),
			},
			probes: []probe{
				deny(pod("x/a"), pod("x/c"), tcp, 8082),
				allow(pod("x/a"), pod("x/c"), udp, 53), // the numbered port still applies
			},
		},
		{
			name:     "egress named port with empty to means every pod having it",
			policies: []*networkingv1.NetworkPolicy{egressPorts("any-http", nil, objects.PortName(tcp, "http"))},
			probes: []probe{
				allow(pod("x/a"), pod("y/b"), tcp, 9090),
				allow(pod("x/a"), pod("y/a"), tcp, 8080),
				deny(pod("x/a"), pod("y/b"), tcp, 8080),
				deny(ip("10.1.0.10"), ip("192.0.2.1"), tcp, 9090),
			},
		},
	})
}
