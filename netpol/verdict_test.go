package netpol

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nodenet/nodenet/test/objects"
)

func denyAll(ns string) *networkingv1.NetworkPolicy {
	return objects.Policy(ns, "deny-all", objects.Selector(), objects.Ingress, objects.Egress)
}

func TestVerdictSpecialCases(t *testing.T) {
	runProbeCases(t, []probeCase{
		{
			name:     "this node's IPs are always allowed, both ways",
			policies: []*networkingv1.NetworkPolicy{denyAll("x")},
			probes: []probe{
				allow(ip("10.0.0.1"), pod("x/a"), tcp, 8080),
				allow(pod("x/a"), ip("10.0.0.1"), udp, 53),
				allow(pod("x/host"), pod("x/b"), tcp, 10250), // hostNetwork pod uses the node IP
				deny(ip("10.0.0.2"), pod("x/a"), tcp, 8080),  // another node is not special
			},
		},
		{
			name:     "a pod always reaches itself",
			policies: []*networkingv1.NetworkPolicy{denyAll("x")},
			probes: []probe{
				allow(pod("x/a"), pod("x/a"), tcp, 8080),
				deny(pod("x/a"), pod("x/b"), tcp, 8080),
			},
		},
		{
			name:     "remote destination: only the local source's egress applies",
			policies: []*networkingv1.NetworkPolicy{denyAll("y")},
			probes: []probe{
				// y/b (remote) denies all ingress, but that is node-b's job.
				allow(pod("x/a"), pod("y/b"), tcp, 80),
				// y/a is local: its own deny applies.
				deny(pod("x/a"), pod("y/a"), tcp, 80).by("y/deny-all"),
			},
		},
		{
			name:     "remote source: only the local destination's ingress applies",
			policies: []*networkingv1.NetworkPolicy{denyAll("y"), ingressFrom("from-y", objects.NamespacePeer(objects.Selector("team=y")))},
			probes: []probe{
				allow(pod("y/b"), pod("x/a"), tcp, 80).by("x/from-y"),
			},
		},
		{
			name:     "neither end local: not filtered here",
			policies: []*networkingv1.NetworkPolicy{denyAll("x"), denyAll("y")},
			probes: []probe{
				allow(pod("x/c"), pod("y/b"), tcp, 80).by("not filtered here"),
			},
		},
		{
			name:     "dual stack pods pick a common family",
			policies: []*networkingv1.NetworkPolicy{ingressFrom("v6-only", objects.IPBlockPeer("fd00::/64"))},
			probes: []probe{
				deny(pod("x/b"), pod("x/a"), tcp, 80), // primary IPv4 is used
				allow(ip("fd00::11"), pod("x/a"), tcp, 80),
			},
		},
	})
}

func TestVerdictReasonsNamePolicies(t *testing.T) {
	m := computeValid(t,
		ingressFrom("from-b", objects.PodPeer(objects.Selector("app=b"))),
		ingressFrom("from-all-ns", objects.NamespacePeer(objects.Selector())),
		ingressFrom("from-y", objects.NamespacePeer(objects.Selector("team=y"))),
	)
	allowed, reasons := m.Verdict(pod("x/b"), pod("x/a"), 80, tcp)
	want := []string{
		"egress of x/b: not isolated, no policy selects it for egress",
		"ingress of x/a: allowed by x/from-all-ns",
		"ingress of x/a: allowed by x/from-b",
	}
	if !allowed || !slices.Equal(reasons, want) {
		t.Errorf("Verdict = %v %q, want true %q", allowed, reasons, want)
	}

	allowed, reasons = m.Verdict(ip("192.0.2.1"), pod("x/a"), 80, tcp)
	if allowed || len(reasons) != 1 {
		t.Fatalf("Verdict from outside = %v %q, want one deny reason", allowed, reasons)
	}
	for _, p := range []string{"x/from-b", "x/from-all-ns", "x/from-y"} {
		if !strings.Contains(reasons[0], p) {
			t.Errorf("deny reason %q does not name isolating policy %s", reasons[0], p)
		}
	}
}

func TestVerdictUnresolvableEndpoints(t *testing.T) {
	m := computeValid(t)
	cases := []struct {
		name       string
		from, to   Endpoint
		wantReason string
	}{
		{"unknown pod", pod("x/ghost"), pod("x/a"), "unknown pod x/ghost"},
		{"no common family", ip("10.1.0.11"), ip("fd00::10"), "share no IP family"},
		{"empty endpoint", Endpoint{}, pod("x/a"), "neither pod nor IP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			allowed, reasons := m.Verdict(tc.from, tc.to, 80, tcp)
			if allowed || len(reasons) != 1 || !strings.Contains(reasons[0], tc.wantReason) {
				t.Errorf("Verdict = %v %q, want false with %q", allowed, reasons, tc.wantReason)
			}
		})
	}
}

func TestVerdictAcceptsIPv4MappedAddresses(t *testing.T) {
	m := computeValid(t, ingressFrom("from-b", objects.PodPeer(objects.Selector("app=b"))))
	mapped := EndpointIP(netip.MustParseAddr("::ffff:10.1.0.11"))
	if allowed, reasons := m.Verdict(mapped, ip("10.1.0.10"), 80, tcp); !allowed {
		t.Errorf("mapped source denied: %q", reasons)
	}
}
