package netpol

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nodenet/nodenet/test/objects"
)

// ingressFrom is a policy isolating x/a for ingress and allowing from.
func ingressFrom(name string, from ...networkingv1.NetworkPolicyPeer) *networkingv1.NetworkPolicy {
	return objects.WithIngress(objects.Policy("x", name, objects.Selector("app=a"), objects.Ingress), from)
}

// Who a peer list lets in.
func TestPeers(t *testing.T) {
	runProbeCases(t, []probeCase{
		{
			name:     "podSelector peer searches the policy's namespace only",
			policies: []*networkingv1.NetworkPolicy{ingressFrom("from-b", objects.PodPeer(objects.Selector("app=b")))},
			probes: []probe{
				allow(pod("x/b"), pod("x/a"), tcp, 80).by("x/from-b"),
				deny(pod("y/b"), pod("x/a"), tcp, 80).by("x/from-b"),
				deny(pod("x/c"), pod("x/a"), tcp, 80),
			},
		},
		{
			name:     "empty podSelector peer is every pod of the namespace",
			policies: []*networkingv1.NetworkPolicy{ingressFrom("same-ns", objects.PodPeer(objects.Selector()))},
			probes: []probe{
				allow(pod("x/b"), pod("x/a"), tcp, 80),
				allow(pod("x/c"), pod("x/a"), tcp, 80),
				deny(pod("y/a"), pod("x/a"), tcp, 80),
				deny(ip("192.0.2.1"), pod("x/a"), tcp, 80),
			},
		},
		{
			name:     "namespaceSelector peer is every pod of matching namespaces",
			policies: []*networkingv1.NetworkPolicy{ingressFrom("from-y", objects.NamespacePeer(objects.Selector("team=y")))},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), tcp, 80),
				allow(pod("y/b"), pod("x/a"), tcp, 80),
				deny(pod("x/b"), pod("x/a"), tcp, 80),
				deny(pod("z/a"), pod("x/a"), tcp, 80),
			},
		},
		{
			name:     "empty namespaceSelector is every namespace, even unlisted ones",
			policies: []*networkingv1.NetworkPolicy{ingressFrom("from-all", objects.NamespacePeer(objects.Selector()))},
			probes: []probe{
				allow(pod("z/a"), pod("x/a"), tcp, 80),
				allow(pod("y/b"), pod("x/a"), tcp, 80),
				deny(ip("192.0.2.1"), pod("x/a"), tcp, 80), // not a pod
			},
		},
		{
			name: "namespaceSelector on the automatic metadata.name label",
			policies: []*networkingv1.NetworkPolicy{
				ingressFrom("from-z", objects.NamespacePeer(objects.Selector("kubernetes.io/metadata.name=z"))),
			},
			probes: []probe{
				allow(pod("z/a"), pod("x/a"), tcp, 80),
				deny(pod("y/a"), pod("x/a"), tcp, 80),
			},
		},
		{
			name:     "namespaceSelector AND podSelector in one peer",
			policies: []*networkingv1.NetworkPolicy{ingressFrom("and", objects.NamespacePodPeer(objects.Selector("team=y"), objects.Selector("app=b")))},
			probes: []probe{
				allow(pod("y/b"), pod("x/a"), tcp, 80),
				deny(pod("y/a"), pod("x/a"), tcp, 80),
				deny(pod("x/b"), pod("x/a"), tcp, 80),
			},
		},
		{
			name: "namespaceSelector OR podSelector as two peers",
			policies: []*networkingv1.NetworkPolicy{
				ingressFrom("or", objects.NamespacePeer(objects.Selector("team=y")), objects.PodPeer(objects.Selector("app=b"))),
			},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), tcp, 80),
				allow(pod("x/b"), pod("x/a"), tcp, 80),
				deny(pod("z/a"), pod("x/a"), tcp, 80),
				deny(pod("x/c"), pod("x/a"), tcp, 80),
			},
		},
		{
			name: "matchExpressions In and DoesNotExist",
			policies: []*networkingv1.NetworkPolicy{
				ingressFrom("in", objects.NamespacePodPeer(objects.Selector(), objects.Expression("app", "In", "b", "c"))),
				objects.WithIngress(objects.Policy("y", "no-team", objects.Selector(), objects.Ingress), objects.Peers(objects.NamespacePeer(objects.Expression("team", "DoesNotExist")))),
			},
			probes: []probe{
				allow(pod("x/b"), pod("x/a"), tcp, 80).by("x/in"),
				allow(pod("x/c"), pod("x/a"), tcp, 80),
				allow(pod("y/b"), pod("x/a"), tcp, 80),
				deny(pod("y/a"), pod("x/a"), tcp, 80),
				deny(pod("z/a"), pod("x/a"), tcp, 80),
				allow(pod("z/a"), pod("y/a"), tcp, 80).by("y/no-team"),
				deny(pod("x/b"), pod("y/a"), tcp, 80),
			},
		},
		{
			name:     "empty from allows every source",
			policies: []*networkingv1.NetworkPolicy{ingressFrom("anyone")},
			probes: []probe{
				allow(ip("192.0.2.1"), pod("x/a"), tcp, 80).by("x/anyone"),
				allow(pod("z/a"), pod("x/a"), udp, 53),
			},
		},
		{
			name: "ipBlock with except",
			policies: []*networkingv1.NetworkPolicy{
				ingressFrom("block", objects.IPBlockPeer("10.2.0.0/16", "10.2.0.20/30")),
			},
			probes: []probe{
				allow(pod("x/c"), pod("x/a"), tcp, 80).by("x/block"),   // 10.2.0.10
				deny(pod("y/b"), pod("x/a"), tcp, 80),                  // 10.2.0.20, excepted
				allow(pod("z/a"), pod("x/a"), tcp, 80),                 // 10.2.0.30
				deny(ip("192.0.2.1"), pod("x/a"), tcp, 80),             // outside
				deny(ip("fd00::11"), ip("fd00::10"), tcp, 80),          // other family
				allow(ip("10.2.255.255"), ip("10.1.0.10"), sctp, 9000), // bare IPs
			},
		},
		{
			name: "IPv6 ipBlock",
			policies: []*networkingv1.NetworkPolicy{
				ingressFrom("block6", objects.IPBlockPeer("fd00::/64")),
			},
			probes: []probe{
				allow(ip("fd00::11"), ip("fd00::10"), tcp, 80),
				deny(ip("10.1.0.11"), ip("10.1.0.10"), tcp, 80),
			},
		},
		{
			name: "policies add up",
			policies: []*networkingv1.NetworkPolicy{
				ingressFrom("from-b", objects.PodPeer(objects.Selector("app=b"))),
				ingressFrom("from-y", objects.NamespacePeer(objects.Selector("team=y"))),
			},
			probes: []probe{
				allow(pod("x/b"), pod("x/a"), tcp, 80).by("x/from-b"),
				allow(pod("y/a"), pod("x/a"), tcp, 80).by("x/from-y"),
				allow(pod("y/b"), pod("x/a"), tcp, 80).by("x/from-y"),
				deny(pod("z/a"), pod("x/a"), tcp, 80),
			},
		},
	})
}
