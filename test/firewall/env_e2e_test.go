//go:build e2e

package firewall

import (
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/test/netns"
)

// within runs fn inside namespace ns (netns.Within).
func within(t testing.TB, ns string, fn func() error) error {
	t.Helper()
	return netns.Within(ns, fn)
}

func mustWithin(t testing.TB, ns string, fn func() error) {
	t.Helper()
	if err := within(t, ns, fn); err != nil {
		t.Fatal(err)
	}
}

// newNode makes an empty node namespace, removed on cleanup.
func newNode(t testing.TB) *netns.NS {
	t.Helper()
	netns.RequireRoot(t)
	return netns.New(t, netns.UniquePrefix("fw")+"-node")
}

var counters = regexp.MustCompile(`\[\d+:\d+\]`)

// ruleState is iptables-save of both families, without comments and
// counters, and `ipset save`: what cleanup must give back unchanged.
func ruleState(t testing.TB, ns *netns.NS) string {
	t.Helper()
	var b strings.Builder
	for _, cmd := range []string{"iptables-save", "ip6tables-save"} {
		for _, l := range strings.Split(ns.Run(t, cmd), "\n") {
			if !strings.HasPrefix(l, "#") {
				b.WriteString(counters.ReplaceAllString(l, "[0:0]") + "\n")
			}
		}
	}
	b.WriteString(ns.Run(t, "ipset", "save"))
	return b.String()
}

// setMembers lists a set's members (`ipset list`), sorted.
func setMembers(t testing.TB, ns *netns.NS, set string) []string {
	t.Helper()
	out := ns.Run(t, "ipset", "list", set)
	_, members, _ := strings.Cut(out, "Members:\n")
	var list []string
	for _, l := range strings.Split(members, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			list = append(list, l)
		}
	}
	sort.Strings(list)
	return list
}

// --- the model ---

const thisNode = "n1"

func testPod(ns, name, node, ip, app string) netpol.Pod {
	return netpol.Pod{Namespace: ns, Name: name, NodeName: node, IPs: []netip.Addr{netip.MustParseAddr(ip)}, Labels: map[string]string{"app": app}}
}

func testInput() netpol.Input {
	tcp := v1.ProtocolTCP
	p80, end := intstr.FromInt32(80), int32(8100)
	p8000 := intstr.FromInt32(8000)
	web := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "web"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "client"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &p80}, {Protocol: &tcp, Port: &p8000, EndPort: &end}},
			}},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "192.168.0.0/16", Except: []string{"192.168.1.0/24"}}}},
			}},
		},
	}
	return netpol.Input{
		NodeName: thisNode,
		NodeIPs:  []netip.Addr{netip.MustParseAddr("10.0.0.1")},
		PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24")},
		Pods: []netpol.Pod{
			testPod("x", "web", thisNode, "10.1.0.10", "web"),
			testPod("x", "client", thisNode, "10.1.0.11", "client"),
			testPod("x", "remote-client", "n2", "10.2.0.11", "client"),
		},
		Namespaces: []netpol.Namespace{{Name: "x"}},
		Policies:   []*networkingv1.NetworkPolicy{web},
	}
}

func compute(t testing.TB, in netpol.Input) *netpol.Model {
	t.Helper()
	m, errs := netpol.Compute(in)
	if len(errs) > 0 {
		t.Fatalf("Compute: %v", errs)
	}
	return m
}

func execIn(ns string, argv ...string) (string, error) { return netns.Exec(ns, argv...) }
