package netpol

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/test/objects"
)

func addrs(list ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range list {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestRulesAreTaggedAndResolved(t *testing.T) {
	m := computeValid(t, objects.WithIngress(objects.Policy("x", "p", objects.Selector("app=a"), objects.Ingress),
		objects.Peers(objects.PodPeer(objects.Selector("app=b"))), objects.PortNum(tcp, 8080)))
	in := m.LocalPods[nn("x", "a")].Ingress
	if !in.Isolated || !slices.Equal(in.IsolatedBy, []types.NamespacedName{nn("x", "p")}) || len(in.Rules) != 1 {
		t.Fatalf("x/a ingress = %+v, want isolated by x/p with one rule", in)
	}
	rule := in.Rules[0]
	if rule.Policy != nn("x", "p") {
		t.Errorf("rule policy = %s, want x/p", rule.Policy)
	}
	if rule.Peer.Kind != PeerPods || !slices.Equal(rule.Peer.Pods, []types.NamespacedName{nn("x", "b")}) {
		t.Errorf("peer = %+v, want pods [x/b]", rule.Peer)
	}
	if !slices.Equal(rule.Peer.Addrs, addrs("10.1.0.11", "fd00::11")) {
		t.Errorf("peer addrs = %v", rule.Peer.Addrs)
	}
	if !slices.Equal(rule.Ports, []PortRange{{Protocol: tcp, First: 8080, Last: 8080}}) {
		t.Errorf("ports = %v", rule.Ports)
	}
	if got := rule.Peer.AddrsOfFamily(true); !slices.Equal(got, addrs("fd00::11")) {
		t.Errorf("IPv6 members = %v", got)
	}
}

func TestPeersAreSharedAndNamedDeterministically(t *testing.T) {
	np := objects.WithIngress(objects.Policy("x", "p", objects.Selector(), objects.Ingress), objects.Peers(objects.NamespacePeer(objects.Selector("team=y"))))
	m := computeValid(t, np)
	pa, pb := m.LocalPods[nn("x", "a")].Ingress.Rules[0].Peer, m.LocalPods[nn("x", "b")].Ingress.Rules[0].Peer
	if pa != pb || len(m.Peers) != 1 || m.Peers[pa.Name] != pa {
		t.Fatalf("one peer must be shared by both selected pods and listed once; got %p %p %v", pa, pb, m.Peers)
	}
	if !strings.HasPrefix(pa.Name, peerNamePrefix) || len(pa.Name) > 31 {
		t.Errorf("peer name %q: want %s prefix and at most 31 characters (ipset limit)", pa.Name, peerNamePrefix)
	}
	if !strings.Contains(pa.Origin, "x/p ingress[0] peer[0]") {
		t.Errorf("peer origin %q does not locate the peer", pa.Origin)
	}

	// Reordered input and changed membership keep the name.
	in := testInput(np)
	slices.Reverse(in.Pods)
	in.Pods = slices.DeleteFunc(in.Pods, func(p Pod) bool { return p.Key() == nn("y", "b") })
	m2, _ := Compute(in)
	p2 := m2.LocalPods[nn("x", "a")].Ingress.Rules[0].Peer
	if p2.Name != pa.Name {
		t.Errorf("peer name changed with pod order/membership: %s vs %s", p2.Name, pa.Name)
	}
	if !slices.Equal(p2.Addrs, addrs("10.1.0.20")) || !slices.Equal(pa.Addrs, addrs("10.1.0.20", "10.2.0.20")) {
		t.Errorf("members: before %v, after removing y/b %v", pa.Addrs, p2.Addrs)
	}
}

func TestEgressNamedPortSplitsByPeerPod(t *testing.T) {
	m := computeValid(t, egressPorts("p", objects.Peers(objects.NamespacePeer(objects.Selector())), objects.PortName(tcp, "http")))
	got := map[string][]types.NamespacedName{}
	names := map[string]bool{}
	for _, r := range m.LocalPods[nn("x", "a")].Egress.Rules {
		if r.Policy != nn("x", "p") || len(r.Ports) != 1 {
			t.Fatalf("unexpected rule %+v", r)
		}
		got[r.Ports[0].String()] = r.Peer.Pods
		names[r.Peer.Name] = true
	}
	want := map[string][]types.NamespacedName{
		"TCP:8080": {nn("x", "a"), nn("y", "a")},
		"TCP:8081": {nn("x", "b")},
		"TCP:8082": {nn("x", "c")},
		"TCP:9090": {nn("y", "b")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("egress named-port groups = %v, want %v", got, want)
	}
	if len(names) != len(want) {
		t.Errorf("each group needs its own address set; got names %v", names)
	}
}

func TestUnresolvedNamedPortLeavesPodIsolatedWithoutRules(t *testing.T) {
	m := computeValid(t, ingressPorts("p", objects.PortName(tcp, "dns")))
	a, b := m.LocalPods[nn("x", "a")].Ingress, m.LocalPods[nn("x", "b")].Ingress
	if len(a.Rules) != 0 || !a.Isolated {
		t.Errorf("x/a has dns only as UDP; want isolated with no rules, got %+v", a)
	}
	if len(b.Rules) != 0 || !b.Isolated {
		t.Errorf("x/b has no dns port; want isolated with no rules, got %+v", b)
	}
}

func TestFailClosedPolicyContributesIsolationOnly(t *testing.T) {
	m, errs := Compute(testInput(ingressFrom("bad", objects.IPBlockPeer("300.0.0.0/8"))))
	if len(errs) != 1 {
		t.Fatalf("errors = %v", errs)
	}
	in := m.LocalPods[nn("x", "a")].Ingress
	if !in.Isolated || !slices.Equal(in.IsolatedBy, []types.NamespacedName{nn("x", "bad")}) || len(in.Rules) != 0 {
		t.Errorf("x/a ingress = %+v, want isolated by x/bad and no rules", in)
	}
	if len(m.Peers) != 0 {
		t.Errorf("an invalid policy must not create address sets: %v", m.Peers)
	}
}

func TestIPBlockIsNormalised(t *testing.T) {
	cases := []struct {
		cidr, except string
		want         IPBlock
	}{
		{"10.2.3.4/16", "10.2.3.4/24", IPBlock{netip.MustParsePrefix("10.2.0.0/16"), []netip.Prefix{netip.MustParsePrefix("10.2.3.0/24")}}},
		{"::ffff:10.0.0.0/104", "", IPBlock{CIDR: netip.MustParsePrefix("10.0.0.0/8")}},
		{"fd00::1/64", "", IPBlock{CIDR: netip.MustParsePrefix("fd00::/64")}},
	}
	for _, tc := range cases {
		b := &networkingv1.IPBlock{CIDR: tc.cidr}
		if tc.except != "" {
			b.Except = []string{tc.except}
		}
		got, err := compileIPBlock(b)
		if err != nil || !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("compileIPBlock(%s except %q) = %+v, %v; want %+v", tc.cidr, tc.except, got, err, tc.want)
		}
	}
}

func TestPortRange(t *testing.T) {
	cases := []struct {
		r        PortRange
		port     int32
		proto    Protocol
		want     bool
		wantText string
	}{
		{PortRange{tcp, 80, 80}, 80, tcp, true, "TCP:80"},
		{PortRange{tcp, 80, 80}, 80, udp, false, "TCP:80"},
		{PortRange{sctp, 10, 20}, 20, sctp, true, "SCTP:10-20"},
		{PortRange{sctp, 10, 20}, 21, sctp, false, "SCTP:10-20"},
		{PortRange{Protocol: udp}, 1234, udp, true, "UDP"},
	}
	for _, tc := range cases {
		if got := tc.r.Contains(tc.port, tc.proto); got != tc.want {
			t.Errorf("%v.Contains(%d, %s) = %v, want %v", tc.r, tc.port, tc.proto, got, tc.want)
		}
		if got := tc.r.String(); got != tc.wantText {
			t.Errorf("String() = %q, want %q", got, tc.wantText)
		}
	}
}

func TestSortedAccessorsAreOrdered(t *testing.T) {
	m := computeValid(t, objects.WithIngress(objects.Policy("x", "p", objects.Selector(), objects.Ingress),
		objects.Peers(objects.PodPeer(objects.Selector("app=b")), objects.NamespacePeer(objects.Selector()), objects.IPBlockPeer("10.0.0.0/8"))))
	var pods []string
	for _, r := range m.SortedLocalPods() {
		pods = append(pods, r.Pod.String())
	}
	if !slices.Equal(pods, []string{"x/a", "x/b", "y/a"}) {
		t.Errorf("SortedLocalPods = %v", pods)
	}
	peers := m.SortedPeers()
	if len(peers) != 3 || !slices.IsSortedFunc(peers, func(a, b *Peer) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("SortedPeers = %v, want 3 peers sorted by name", peers)
	}
}
