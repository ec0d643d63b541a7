package netpol

import (
	"errors"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nodenet/nodenet/test/objects"
)

// invalidCase: the policies named in wantInvalid are reported, each with
// wantMessage in its error, and probes hold (fail closed for them, normal
// semantics for the rest).
type invalidCase struct {
	name        string
	policies    []*networkingv1.NetworkPolicy
	wantInvalid string
	wantMessage string
	probes      []probe
}

func TestInvalidPoliciesFailClosed(t *testing.T) {
	good := ingressFrom("good", objects.PodPeer(objects.Selector("app=b")))
	for _, tc := range []invalidCase{
		{
			name:        "invalid CIDR isolates without allowing; other policies apply",
			policies:    []*networkingv1.NetworkPolicy{ingressFrom("bad", objects.IPBlockPeer("10.2.0.0/33")), good},
			wantInvalid: "x/bad", wantMessage: "ipBlock.cidr",
			probes: []probe{
				allow(pod("x/b"), pod("x/a"), tcp, 80).by("x/good"),
				deny(pod("x/c"), pod("x/a"), tcp, 80).by("invalid, fails closed"),
				allow(pod("x/a"), pod("x/b"), tcp, 80), // x/b not selected by bad
			},
		},
		{
			name:        "except outside the CIDR",
			policies:    []*networkingv1.NetworkPolicy{ingressFrom("bad", objects.IPBlockPeer("10.2.0.0/16", "10.3.0.0/24"))},
			wantInvalid: "x/bad", wantMessage: "not strictly inside",
			probes: []probe{deny(pod("x/c"), pod("x/a"), tcp, 80)},
		},
		{
			name:        "invalid except",
			policies:    []*networkingv1.NetworkPolicy{ingressFrom("bad", objects.IPBlockPeer("10.2.0.0/16", "banana"))},
			wantInvalid: "x/bad", wantMessage: "ipBlock.except[0]",
			probes: []probe{deny(pod("x/c"), pod("x/a"), tcp, 80)},
		},
		{
			name:        "invalid peer selector",
			policies:    []*networkingv1.NetworkPolicy{ingressFrom("bad", objects.PodPeer(objects.Expression("app", "Like", "b")))},
			wantInvalid: "x/bad", wantMessage: "podSelector",
			probes: []probe{deny(pod("x/b"), pod("x/a"), tcp, 80), allow(pod("x/a"), pod("x/b"), tcp, 80)},
		},
		{
			name:        "invalid namespaceSelector",
			policies:    []*networkingv1.NetworkPolicy{ingressFrom("bad", objects.NamespacePeer(objects.Expression("team", "In")))},
			wantInvalid: "x/bad", wantMessage: "namespaceSelector",
			probes: []probe{deny(pod("y/a"), pod("x/a"), tcp, 80)},
		},
		{
			name: "invalid podSelector isolates the whole namespace",
			policies: []*networkingv1.NetworkPolicy{
				objects.WithIngress(objects.Policy("x", "bad", objects.Expression("app", "Exists", "oops"), objects.Ingress), nil),
			},
			wantInvalid: "x/bad", wantMessage: "podSelector",
			probes: []probe{
				deny(pod("y/a"), pod("x/a"), tcp, 80),
				deny(pod("y/a"), pod("x/b"), tcp, 80),
				allow(pod("x/a"), pod("y/a"), tcp, 80), // other namespace untouched
			},
		},
		{
			name: "invalid egress-only policy isolates egress only",
			policies: []*networkingv1.NetworkPolicy{
				objects.WithEgress(objects.Policy("x", "bad", objects.Selector("app=a"), objects.Egress), objects.Peers(objects.IPBlockPeer("nope"))),
			},
			wantInvalid: "x/bad", wantMessage: "egress[0]: peer[0]",
			probes: []probe{
				deny(pod("x/a"), pod("y/b"), tcp, 80),
				allow(pod("y/b"), pod("x/a"), tcp, 80),
			},
		},
		{
			name: "unknown policyType isolates both directions",
			policies: []*networkingv1.NetworkPolicy{
				objects.Policy("x", "bad", objects.Selector("app=a"), "Sideways"),
			},
			wantInvalid: "x/bad", wantMessage: "policyTypes",
			probes: []probe{
				deny(pod("x/a"), pod("y/b"), tcp, 80),
				deny(pod("y/b"), pod("x/a"), tcp, 80),
			},
		},
		invalidPortCase("endPort below port", objects.PortRange(tcp, 8080, 80), "endPort 80 is below port 8080"),
		invalidPortCase("endPort with named port", withEndPort(objects.PortName(tcp, "http"), 9000), "named port"),
		invalidPortCase("endPort without port", networkingv1.NetworkPolicyPort{EndPort: int32Ptr(90)}, "requires port"),
		invalidPortCase("unsupported protocol", objects.PortNum("ICMP", 1), "unsupported protocol"),
		invalidPortCase("port 0", objects.PortNum(tcp, 0), "outside 1-65535"),
		invalidPortCase("port too big", objects.PortRange(tcp, 80, 70000), "endPort"),
		invalidPortCase("empty port name", objects.PortName(tcp, ""), "empty"),
		{
			name:        "empty peer",
			policies:    []*networkingv1.NetworkPolicy{ingressFrom("bad", networkingv1.NetworkPolicyPeer{})},
			wantInvalid: "x/bad", wantMessage: "must set",
			probes: []probe{deny(pod("x/b"), pod("x/a"), tcp, 80)},
		},
		{
			name: "ipBlock combined with a selector",
			policies: []*networkingv1.NetworkPolicy{ingressFrom("bad", networkingv1.NetworkPolicyPeer{
				IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}, PodSelector: objects.Selector(),
			})},
			wantInvalid: "x/bad", wantMessage: "cannot be combined",
			probes: []probe{deny(pod("x/b"), pod("x/a"), tcp, 80)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { runInvalidCase(t, tc) })
	}
}

// invalidPortCase: a port error in an otherwise allow-all rule must deny.
func invalidPortCase(name string, port networkingv1.NetworkPolicyPort, message string) invalidCase {
	return invalidCase{
		name:        name,
		policies:    []*networkingv1.NetworkPolicy{objects.WithIngress(objects.Policy("x", "bad", objects.Selector("app=a"), objects.Ingress), nil, port)},
		wantInvalid: "x/bad", wantMessage: message,
		probes: []probe{deny(pod("y/a"), pod("x/a"), tcp, 80), deny(pod("y/a"), pod("x/a"), tcp, 8080)},
	}
}

func runInvalidCase(t *testing.T, tc invalidCase) {
	m, errs := Compute(testInput(tc.policies...))
	if len(errs) != 1 {
		t.Fatalf("Compute errors = %v, want exactly one for %s", errs, tc.wantInvalid)
	}
	var pe *PolicyError
	if !errors.As(errs[0], &pe) || pe.Policy.String() != tc.wantInvalid {
		t.Fatalf("error %v is not a *PolicyError for %s", errs[0], tc.wantInvalid)
	}
	if msg := errs[0].Error(); !strings.Contains(msg, "networkpolicy "+tc.wantInvalid) || !strings.Contains(msg, tc.wantMessage) {
		t.Errorf("error %q does not name the policy and %q", msg, tc.wantMessage)
	}
	if len(m.Errors) != 1 {
		t.Errorf("Model.Errors = %v, want the returned error", m.Errors)
	}
	for _, p := range tc.probes {
		checkProbe(t, m, p)
	}
}

func withEndPort(p networkingv1.NetworkPolicyPort, end int32) networkingv1.NetworkPolicyPort {
	p.EndPort = &end
	return p
}

func int32Ptr(v int32) *int32 { return &v }
