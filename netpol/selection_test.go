package netpol

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nodenet/nodenet/test/objects"
)

// Which pods a policy isolates, and in which directions.
func TestPolicySelectionAndTypes(t *testing.T) {
	runProbeCases(t, []probeCase{
		{
			name: "no policy allows everything",
			probes: []probe{
				allow(pod("x/b"), pod("x/a"), tcp, 80),
				allow(pod("x/a"), pod("y/b"), udp, 53),
				allow(ip("192.0.2.1"), pod("y/a"), sctp, 9000),
			},
		},
		{
			name:     "default deny ingress: empty podSelector, no rules",
			policies: []*networkingv1.NetworkPolicy{objects.Policy("x", "deny", objects.Selector(), objects.Ingress)},
			probes: []probe{
				deny(pod("x/b"), pod("x/a"), tcp, 80).by("x/deny"),
				deny(pod("x/a"), pod("x/b"), tcp, 80).by("x/deny"),
				deny(ip("192.0.2.1"), pod("x/a"), udp, 53),
				allow(pod("x/a"), pod("y/b"), tcp, 80), // egress not isolated
				allow(pod("x/a"), pod("y/a"), tcp, 80), // y is another namespace
			},
		},
		{
			name:     "implicit policyTypes without egress rules isolates ingress only",
			policies: []*networkingv1.NetworkPolicy{objects.Policy("x", "implicit", objects.Selector())},
			probes: []probe{
				deny(pod("y/a"), pod("x/a"), tcp, 80),
				allow(pod("x/a"), pod("y/a"), tcp, 80),
				allow(pod("x/a"), ip("192.0.2.1"), tcp, 443),
			},
		},
		{
			name: "implicit policyTypes with egress rules isolates both",
			policies: []*networkingv1.NetworkPolicy{
				objects.WithEgress(objects.Policy("x", "implicit", objects.Selector("app=a")), objects.Peers(objects.PodPeer(objects.Selector("app=b")))),
			},
			probes: []probe{
				deny(pod("y/a"), pod("x/a"), tcp, 80),
				allow(pod("x/a"), pod("x/b"), tcp, 80).by("x/implicit"),
				deny(pod("x/a"), pod("y/a"), tcp, 80).by("x/implicit"),
			},
		},
		{
			name:     "default deny egress",
			policies: []*networkingv1.NetworkPolicy{objects.Policy("x", "deny-egress", objects.Selector(), objects.Egress)},
			probes: []probe{
				deny(pod("x/a"), pod("y/b"), tcp, 80).by("x/deny-egress"),
				deny(pod("x/a"), ip("192.0.2.1"), udp, 53),
				allow(pod("z/a"), pod("x/a"), tcp, 80), // ingress not isolated
			},
		},
		{
			name: "an empty egress rule allows everything out",
			policies: []*networkingv1.NetworkPolicy{
				objects.WithEgress(objects.Policy("x", "out", objects.Selector(), objects.Egress), nil),
			},
			probes: []probe{
				allow(pod("x/a"), ip("192.0.2.1"), udp, 53).by("x/out"),
				allow(pod("x/a"), pod("y/b"), sctp, 9000),
			},
		},
		{
			name: "policyTypes Egress ignores ingress rules",
			policies: []*networkingv1.NetworkPolicy{
				objects.WithIngress(objects.Policy("x", "egress-only", objects.Selector(), objects.Egress), objects.Peers(objects.PodPeer(objects.Selector("app=b")))),
			},
			probes: []probe{
				allow(pod("y/a"), pod("x/a"), tcp, 80),
				deny(pod("x/b"), pod("y/a"), tcp, 80),
			},
		},
		{
			name: "policyTypes Ingress ignores egress rules",
			policies: []*networkingv1.NetworkPolicy{
				objects.WithEgress(objects.Policy("x", "ingress-only", objects.Selector(), objects.Ingress), objects.Peers(objects.PodPeer(objects.Selector("app=b")))),
			},
			probes: []probe{
				allow(pod("x/a"), pod("y/b"), tcp, 80),
				deny(pod("y/a"), pod("x/a"), tcp, 80),
			},
		},
		{
			name:     "podSelector isolates only matching pods",
			policies: []*networkingv1.NetworkPolicy{objects.Policy("x", "only-a", objects.Selector("app=a"), objects.Ingress)},
			probes: []probe{
				deny(pod("x/b"), pod("x/a"), tcp, 80),
				allow(pod("x/a"), pod("x/b"), tcp, 80),
				allow(pod("x/a"), pod("y/a"), tcp, 80), // y/a has app=a but lives in y
			},
		},
		{
			name:     "podSelector with matchExpressions",
			policies: []*networkingv1.NetworkPolicy{objects.Policy("x", "not-a", objects.Expression("app", "NotIn", "a"), objects.Ingress)},
			probes: []probe{
				allow(pod("x/b"), pod("x/a"), tcp, 80),
				deny(pod("x/a"), pod("x/b"), tcp, 80),
			},
		},
		{
			name:     "policies only bind pods on this node",
			policies: []*networkingv1.NetworkPolicy{objects.Policy("x", "deny", objects.Selector(), objects.Ingress, objects.Egress)},
			probes: []probe{
				// x/c is selected but runs on node-b: not enforced here.
				allow(pod("x/c"), pod("y/b"), tcp, 80),
				deny(pod("x/c"), pod("x/a"), tcp, 80), // x/a's ingress is local
			},
		},
	})
}

func TestLocalPodsExcludeRemoteAndHostNetwork(t *testing.T) {
	m := computeValid(t, objects.Policy("x", "all", objects.Selector(), objects.Ingress))
	var got []string
	for key := range m.LocalPods {
		got = append(got, key.String())
	}
	want := map[string]bool{"x/a": true, "x/b": true, "y/a": true}
	if len(got) != len(want) {
		t.Fatalf("LocalPods = %v, want keys of %v", got, want)
	}
	for _, k := range got {
		if !want[k] {
			t.Errorf("unexpected local pod %s (remote or hostNetwork pods must not get rules)", k)
		}
	}
	if r := m.LocalPods[nn("y", "a")]; r.Ingress.Isolated || r.Egress.Isolated {
		t.Errorf("y/a is isolated by a policy of namespace x: %+v", r)
	}
	if r := m.LocalPods[nn("x", "b")]; !r.Ingress.Isolated || r.Egress.Isolated {
		t.Errorf("x/b: want isolated for ingress only, got %+v", r)
	}
}
