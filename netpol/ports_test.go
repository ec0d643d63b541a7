package netpol

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// ingressPorts isolates every pod of x for ingress, allowing from anywhere
// on ports.
func ingressPorts(name string, ports ...networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
	return withIngress(policy("x", name, selector(), ingressType), nil, ports...)
}

// egressPorts isolates x/a for egress, allowing to `to` on ports.
func egressPorts(name string, to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
	return withEgress(policy("x", name, selector("app=a"), egressType), to, ports...)
}

func TestPorts(t *testing.T) {
	runProbeCases(t, []probeCase{
		{
			name:     "port number and protocol",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("tcp-8080", portNum(tcp, 8080))},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), tcp, 8080).by("x/tcp-8080"),
				deny(pod("y/a"), pod("x/a"), tcp, 8081),
				deny(pod("y/a"), pod("x/a"), udp, 8080),
				deny(pod("y/a"), pod("x/a"), sctp, 8080),
			},
		},
		{
			name:     "protocol defaults to TCP",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("default", portDefaultProtocol(80))},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), tcp, 80),
				deny(pod("y/a"), pod("x/a"), udp, 80),
			},
		},
		{
			name:     "protocol without port is every port of it",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("all-udp", portProto(udp))},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), udp, 1),
				allow(pod("y/a"), pod("x/a"), udp, 65535),
				deny(pod("y/a"), pod("x/a"), tcp, 53),
			},
		},
		{
			name:     "endPort range is inclusive",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("range", portRange(tcp, 8000, 8100))},
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
				ingressPorts("sctp", portNum(sctp, 7000), portName(sctp, "assoc"), portRange(sctp, 7100, 7200)),
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
			policies: []*networkingv1.NetworkPolicy{ingressPorts("http", portName(tcp, "http"))},
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
				withIngress(policy("x", "block-http", selector(), ingressType),
					peers(blockPeer("192.0.2.0/24")), portName(tcp, "http")),
			},
			probes: []probe{
				allow(ip("192.0.2.1"), pod("x/a"), tcp, 8080),
				deny(ip("192.0.2.1"), pod("x/a"), tcp, 8081),
			},
		},
		{
			name:     "named port must match the protocol too",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("udp-http", portName(udp, "http"))},
			probes: []probe{
				deny(pod("y/a"), pod("x/a"), tcp, 8080),
				deny(pod("y/a"), pod("x/a"), udp, 8080),
			},
		},
		{
			name:     "unresolvable named port allows nothing, not everything",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("missing", portName(tcp, "nope"))},
			probes: []probe{
				deny(pod("y/a"), pod("x/a"), tcp, 8080),
				deny(pod("y/a"), pod("x/a"), udp, 53),
			},
		},
		{
			name:     "numbered and unresolvable named ports in one rule",
			policies: []*networkingv1.NetworkPolicy{ingressPorts("mixed", portNum(udp, 53), portName(tcp, "nope"))},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), udp, 53),
				deny(pod("y/a"), pod("x/a"), tcp, 53),
			},
		},
		{
			name: "egress named port resolves in each peer pod",
			policies: []*networkingv1.NetworkPolicy{
				egressPorts("http-out", peers(nsPeer(selector())), portName(tcp, "http")),
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
				egressPorts("block-http", peers(blockPeer("10.2.0.0/16")), portName(tcp, "http"), portNum(udp, 53)),
			},
			probes: []probe{
				deny(pod("x/a"), pod("x/c"), tcp, 8082),
				allow(pod("x/a"), pod("x/c"), udp, 53), // the numbered port still applies
			},
		},
		{
			name:     "egress named port with empty to means every pod having it",
			policies: []*networkingv1.NetworkPolicy{egressPorts("any-http", nil, portName(tcp, "http"))},
			probes: []probe{
				allow(pod("x/a"), pod("y/b"), tcp, 9090),
				allow(pod("x/a"), pod("y/a"), tcp, 8080),
				deny(pod("x/a"), pod("y/b"), tcp, 8080),
				deny(ip("10.1.0.10"), ip("192.0.2.1"), tcp, 9090),
			},
		},
	})
}
