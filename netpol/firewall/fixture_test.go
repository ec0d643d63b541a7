package firewall

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/firewall/firewalltest"
)

// The test cluster: node n1 (10.0.0.1, fd00::1) holds pods in 10.1.0.0/24
// and fd01::/64; remote pods live in 10.2/16.
const thisNode = "n1"

var (
	addr      = netip.MustParseAddr
	nodeIPs   = []netip.Addr{addr("10.0.0.1"), addr("fd00::1")}
	podCIDRs  = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24"), netip.MustParsePrefix("fd01::/64")}
	protoTCP  = v1.ProtocolTCP
	protoUDP  = v1.ProtocolUDP
	protoSCTP = v1.ProtocolSCTP
)

func pod(ns, name, node, ips, labels string) netpol.Pod {
	p := netpol.Pod{Namespace: ns, Name: name, NodeName: node, Labels: map[string]string{}}
	for _, ip := range strings.Split(ips, ",") {
		p.IPs = append(p.IPs, addr(ip))
	}
	for _, kv := range strings.Split(labels, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			p.Labels[k] = v
		}
	}
	return p
}

func testPods() []netpol.Pod {
	return []netpol.Pod{
		pod("x", "a", thisNode, "10.1.0.10,fd01::10", "app=a"),
		pod("x", "b", thisNode, "10.1.0.11", "app=b"),
		pod("y", "c", thisNode, "10.1.0.20", "app=c"),
		pod("x", "open", thisNode, "10.1.0.30", "app=open"),
		pod("x", "rb", "n2", "10.2.0.10", "app=b"),
		pod("y", "rc", "n2", "10.2.0.20", "app=c"),
		pod("z", "ra", "n2", "10.2.0.30,fd02::30", "app=a"),
	}
}

func selector(kv ...string) *metav1.LabelSelector {
	s := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	for _, p := range kv {
		k, v, _ := strings.Cut(p, "=")
		s.MatchLabels[k] = v
	}
	return s
}

func port(proto v1.Protocol, first, last int32) networkingv1.NetworkPolicyPort {
	p := networkingv1.NetworkPolicyPort{Protocol: &proto}
	if first != 0 {
		n := intstr.FromInt32(first)
		p.Port = &n
	}
	if last != 0 && last != first {
		p.EndPort = &last
	}
	return p
}

func block(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

func policy(ns, name string, sel *metav1.LabelSelector, types ...networkingv1.PolicyType) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: *sel, PolicyTypes: types},
	}
}

// testPolicies exercise every peer kind, port ranges, all-ports of a
// protocol, SCTP, ipBlock excepts in both families and full isolation.
func testPolicies() []*networkingv1.NetworkPolicy {
	allowBToA := policy("x", "allow-b-to-a", selector("app=a"))
	allowBToA.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From:  []networkingv1.NetworkPolicyPeer{{PodSelector: selector("app=b")}},
		Ports: []networkingv1.NetworkPolicyPort{port(protoTCP, 80, 80), port(protoTCP, 8000, 8100)},
	}, {
		From: []networkingv1.NetworkPolicyPeer{block("fd02::/48", "fd02::/64")},
	}}
	egressA := policy("x", "egress-a", selector("app=a"), networkingv1.PolicyTypeEgress)
	egressA.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
		To:    []networkingv1.NetworkPolicyPeer{block("192.168.0.0/16", "192.168.1.0/24", "192.168.2.128/25")},
		Ports: []networkingv1.NetworkPolicyPort{port(protoUDP, 0, 0)},
	}, {
		To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: selector("kubernetes.io/metadata.name=y")}},
		Ports: []networkingv1.NetworkPolicyPort{port(protoTCP, 443, 443), port(protoSCTP, 9000, 9000)},
	}}
	denyAll := policy("y", "deny-all", selector(), networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress)
	allowDNS := policy("y", "allow-dns", selector(), networkingv1.PolicyTypeEgress)
	allowDNS.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
		Ports: []networkingv1.NetworkPolicyPort{port(protoUDP, 53, 53)},
	}}
	fromA := policy("y", "from-a", selector("app=c"))
	fromA.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}, PodSelector: selector("app=a")}},
	}}
	return []*networkingv1.NetworkPolicy{allowBToA, egressA, denyAll, allowDNS, fromA}
}

func testInput() netpol.Input {
	return netpol.Input{
		NodeName: thisNode,
		NodeIPs:  nodeIPs,
		PodCIDRs: podCIDRs,
		Pods:     testPods(),
		Namespaces: []netpol.Namespace{
			{Name: "x", Labels: map[string]string{"kubernetes.io/metadata.name": "x"}},
			{Name: "y", Labels: map[string]string{"kubernetes.io/metadata.name": "y"}},
			{Name: "z", Labels: map[string]string{"kubernetes.io/metadata.name": "z"}},
		},
		Policies: testPolicies(),
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

// fakes are wired fake kernels: the iptables fakes validate and trace
// -m set rules against the set fake, which asks them before destroying.
type fakes struct {
	v4, v6 *iptablestest.FakeKernel
	sets   *firewalltest.FakeSets
	sysctl *fakeSysctl
}

func newFakes() *fakes {
	f := &fakes{
		v4:     iptablestest.NewFakeKernel(v1.IPv4Protocol),
		v6:     iptablestest.NewFakeKernel(v1.IPv6Protocol),
		sets:   firewalltest.NewFakeSets(),
		sysctl: &fakeSysctl{values: map[string]string{}},
	}
	for _, k := range []*iptablestest.FakeKernel{f.v4, f.v6} {
		k.UseIPSets(f.sets)
		f.sets.ReferencedBy(k.ReferencesSet)
	}
	f.v4.SetLocalAddrs(nodeIPs[0])
	f.v6.SetLocalAddrs(nodeIPs[1])
	return f
}

func (f *fakes) kernels() Kernels {
	return Kernels{IPv4: f.v4, IPv6: f.v6, Sets: f.sets, Sysctl: f.sysctl}
}

func (f *fakes) firewall(t testing.TB, opts Options) *Firewall {
	t.Helper()
	fw, err := NewWithKernels(opts, f.kernels())
	if err != nil {
		t.Fatal(err)
	}
	return fw
}

func (f *fakes) restores() int { return f.v4.Restores() + f.v6.Restores() }

// dump is both families' tables and the sets.
func (f *fakes) dump() string {
	return "# IPv4\n" + f.v4.Dump() + "# IPv6\n" + f.v6.Dump() + "# sets\n" + f.sets.Dump()
}

type fakeSysctl struct{ values map[string]string }

func (s *fakeSysctl) Set(key, value string) error {
	s.values[key] = value
	return nil
}

func mustSync(t testing.TB, fw *Firewall, m *netpol.Model, full bool) {
	t.Helper()
	if err := fw.Sync(m, full); err != nil {
		t.Fatalf("Sync(full=%t): %v", full, err)
	}
}
