package firewall

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/netpol"
)

func TestPortMatches(t *testing.T) {
	for _, tc := range []struct {
		ports []netpol.PortRange
		want  []string
	}{
		{nil, []string{""}},
		{[]netpol.PortRange{{Protocol: protoTCP, First: 80, Last: 80}}, []string{"-p tcp -m tcp --dport 80"}},
		{[]netpol.PortRange{{Protocol: protoUDP, First: 8000, Last: 8100}}, []string{"-p udp -m udp --dport 8000:8100"}},
		{[]netpol.PortRange{{Protocol: protoSCTP}}, []string{"-p sctp"}},
		{[]netpol.PortRange{{Protocol: protoTCP, First: 1, Last: 1}, {Protocol: protoUDP}}, []string{"-p tcp -m tcp --dport 1", "-p udp"}},
	} {
		if got := portMatches(tc.ports); !slices.Equal(got, tc.want) {
			t.Errorf("portMatches(%v) = %q, want %q", tc.ports, got, tc.want)
		}
	}
}

func TestLogPrefix(t *testing.T) {
	long := strings.Repeat("n", 63) + "/" + strings.Repeat("p", 63)
	for _, tc := range []struct{ in, want string }{
		{"nodenet deny ingress x/a by x/p", "nodenet deny ingress x/a by x/p"},
		{`quote"and\back`, "quote_and_back"},
		{long, long[:63]},
	} {
		if got := logPrefix(tc.in); got != tc.want || len(got) > maxLogPrefix {
			t.Errorf("logPrefix(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	pod := &netpol.PodRules{Pod: types.NamespacedName{Namespace: "x", Name: "a"}}
	pod.Egress.IsolatedBy = []types.NamespacedName{{Namespace: "x", Name: "p"}}
	pod.Ingress.IsolatedBy = []types.NamespacedName{{Namespace: "x", Name: "p"}, {Namespace: "x", Name: "q"}}
	if got := denyPrefix(pod, netpol.Egress); got != "nodenet deny egress x/a by x/p" {
		t.Errorf("one policy: %q", got)
	}
	if got := denyPrefix(pod, netpol.Ingress); got != "nodenet deny ingress x/a" {
		t.Errorf("two policies: %q", got)
	}
}

// TestNamesWithinLimits: the longest names fit iptables' 28 and ipset's
// 31 characters, and are ours by prefix.
func TestNamesWithinLimits(t *testing.T) {
	longest := types.NamespacedName{Namespace: strings.Repeat("n", 63), Name: strings.Repeat("p", 253)}
	for _, c := range []string{topChain, egressChain, ingressChain, podChain(longest, netpol.Egress), podChain(longest, netpol.Ingress)} {
		if len(c) > maxChainName || !isOwnChain(c) {
			t.Errorf("chain %q: %d characters or not ours", c, len(c))
		}
	}
	if podChain(longest, netpol.Egress) == podChain(longest, netpol.Ingress) {
		t.Error("both directions share a chain name")
	}
	peer := &netpol.Peer{Name: "NNP-ABCDEFGHIJKLMNOP"}
	for _, s := range []string{peerSet(peer, true), exceptSet(peer, true), knownSetOf(true)} {
		if len(s) > maxSetName || !isOwnSet(s) {
			t.Errorf("set %q: %d characters or not ours", s, len(s))
		}
	}
	for _, foreign := range []string{"NODENET-FORWARD", "NODENET-SERVICES", "NODENET-0123456789abcdef0123", "FORWARD"} {
		if isOwnChain(foreign) {
			t.Errorf("%s taken for a firewall chain", foreign)
		}
	}
}

// TestNoPoliciesRejectsNothing: without policies there is no gate and no
// pod chain, only the skeleton; the one exception is IPv6 router
// advertisements and redirects from pods (routerTypes), an attack whose
// effect would outlive the first policy.
func TestNoPoliciesRejectsNothing(t *testing.T) {
	in := testInput()
	in.Policies = nil
	d := render(compute(t, in), Options{LogDrops: true}, []bool{false, true}, nil)
	for ipv6, rs := range d.chains {
		for chain, rules := range rs {
			for _, r := range rules {
				if strings.Contains(r, "REJECT") || strings.Contains(r, "NFLOG") {
					t.Errorf("IPv6 %t: %s has %q", ipv6, chain, r)
				}
			}
		}
		if len(rs) != 4 {
			t.Errorf("IPv6 %t: chains %v, want only the top and dispatch chains", ipv6, sortedKeys(rs))
		}
	}
}
