package firewall

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/firewall/firewalltest"
	"github.com/nodenet/nodenet/test/objects"
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

// testPolicies exercise every peer kind, port ranges, all-ports of a
// protocol, SCTP, ipBlock excepts in both families and full isolation.
func testPolicies() []*networkingv1.NetworkPolicy {
	allowBToA := objects.Policy("x", "allow-b-to-a", objects.Selector("app=a"))
	allowBToA.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From:  []networkingv1.NetworkPolicyPeer{{PodSelector: objects.Selector("app=b")}},
		Ports: []networkingv1.NetworkPolicyPort{objects.PortNum(protoTCP, 80), objects.PortRange(protoTCP, 8000, 8100)},
	}, {
		From: []networkingv1.NetworkPolicyPeer{objects.IPBlockPeer("fd02::/48", "fd02::/64")},
	}}
	egressA := objects.Policy("x", "egress-a", objects.Selector("app=a"), networkingv1.PolicyTypeEgress)
	egressA.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
		To:    []networkingv1.NetworkPolicyPeer{objects.IPBlockPeer("192.168.0.0/16", "192.168.1.0/24", "192.168.2.128/25")},
		Ports: []networkingv1.NetworkPolicyPort{objects.PortProto(protoUDP)},
	}, {
		To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: objects.Selector("kubernetes.io/metadata.name=y")}},
		Ports: []networkingv1.NetworkPolicyPort{objects.PortNum(protoTCP, 443), objects.PortNum(protoSCTP, 9000)},
	}}
	denyAll := objects.Policy("y", "deny-all", objects.Selector(), networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress)
	allowDNS := objects.Policy("y", "allow-dns", objects.Selector(), networkingv1.PolicyTypeEgress)
	allowDNS.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
		Ports: []networkingv1.NetworkPolicyPort{objects.PortNum(protoUDP, 53)},
	}}
	fromA := objects.Policy("y", "from-a", objects.Selector("app=c"))
	fromA.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}, PodSelector: objects.Selector("app=a")}},
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
