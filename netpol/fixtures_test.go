package netpol

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The test cluster: node-a is this node. Pod IPs: 10.1/16 on node-a,
// 10.2/16 on node-b. Namespace z is deliberately absent from Namespaces.
const (
	thisNode   = "node-a"
	remoteNode = "node-b"
)

var (
	nodeIP   = netip.MustParseAddr("10.0.0.1")
	external = netip.MustParseAddr("192.0.2.1")
)

func testNamespaces() []Namespace {
	return []Namespace{
		{Name: "x", Labels: map[string]string{"team": "x"}},
		{Name: "y", Labels: map[string]string{"team": "y"}},
	}
}

func testPods() []Pod {
	return []Pod{
		newPod("x", "a", thisNode, "10.1.0.10,fd00::10", "app=a",
			NamedPort{"http", 8080, v1.ProtocolTCP}, NamedPort{"dns", 5353, v1.ProtocolUDP}, NamedPort{"assoc", 9000, v1.ProtocolSCTP}),
		newPod("x", "b", thisNode, "10.1.0.11,fd00::11", "app=b", NamedPort{"http", 8081, v1.ProtocolTCP}),
		newPod("x", "c", remoteNode, "10.2.0.10", "app=c", NamedPort{"http", 8082, v1.ProtocolTCP}),
		newPod("y", "a", thisNode, "10.1.0.20", "app=a", NamedPort{"http", 8080, v1.ProtocolTCP}),
		newPod("y", "b", remoteNode, "10.2.0.20", "app=b", NamedPort{"http", 9090, v1.ProtocolTCP}),
		newPod("z", "a", remoteNode, "10.2.0.30", "app=a"),
		hostNetworkPod("x", "host", thisNode, "10.0.0.1", "app=a", NamedPort{"http", 8080, v1.ProtocolTCP}),
	}
}

func newPod(ns, name, node, ips, label string, ports ...NamedPort) Pod {
	pod := Pod{Namespace: ns, Name: name, NodeName: node, Labels: parseLabel(label), Ports: ports}
	for _, ip := range strings.Split(ips, ",") {
		pod.IPs = append(pod.IPs, netip.MustParseAddr(ip))
	}
	return pod
}

func hostNetworkPod(ns, name, node, ips, label string, ports ...NamedPort) Pod {
	pod := newPod(ns, name, node, ips, label, ports...)
	pod.HostNetwork = true
	return pod
}

func testInput(policies ...*networkingv1.NetworkPolicy) Input {
	return Input{
		NodeName:   thisNode,
		NodeIPs:    []netip.Addr{nodeIP},
		Pods:       testPods(),
		Namespaces: testNamespaces(),
		Policies:   policies,
	}
}

// computeValid runs Compute and fails the test on any policy error.
func computeValid(t *testing.T, policies ...*networkingv1.NetworkPolicy) *Model {
	t.Helper()
	m, errs := Compute(testInput(policies...))
	if len(errs) != 0 {
		t.Fatalf("Compute: unexpected errors: %v", errs)
	}
	return m
}

// --- policy builders ---

func policy(ns, name string, podSelector *metav1.LabelSelector, types ...networkingv1.PolicyType) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: *podSelector, PolicyTypes: types},
	}
}

func withIngress(np *networkingv1.NetworkPolicy, from []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
	np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: from, Ports: ports})
	return np
}

func withEgress(np *networkingv1.NetworkPolicy, to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
	np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: to, Ports: ports})
	return np
}

const (
	ingressType = networkingv1.PolicyTypeIngress
	egressType  = networkingv1.PolicyTypeEgress
)

// selector builds a LabelSelector from "k=v" pairs; selector() is {}.
func selector(pairs ...string) *metav1.LabelSelector {
	s := &metav1.LabelSelector{}
	for _, pair := range pairs {
		for k, v := range parseLabel(pair) {
			if s.MatchLabels == nil {
				s.MatchLabels = map[string]string{}
			}
			s.MatchLabels[k] = v
		}
	}
	return s
}

func expression(key string, op metav1.LabelSelectorOperator, values ...string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: key, Operator: op, Values: values}}}
}

func peers(p ...networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer { return p }

func podPeer(s *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: s}
}

func nsPeer(s *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: s}
}

func nsPodPeer(ns, pod *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: ns, PodSelector: pod}
}

func blockPeer(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

func portNum(proto v1.Protocol, port int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(port)
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

func portRange(proto v1.Protocol, first, last int32) networkingv1.NetworkPolicyPort {
	p := portNum(proto, first)
	p.EndPort = &last
	return p
}

func portName(proto v1.Protocol, name string) networkingv1.NetworkPolicyPort {
	p := intstr.FromString(name)
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

func portProto(proto v1.Protocol) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: &proto}
}

// portDefaultProtocol leaves the protocol unset, which means TCP.
func portDefaultProtocol(port int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(port)
	return networkingv1.NetworkPolicyPort{Port: &p}
}

func parseLabel(pair string) map[string]string {
	if pair == "" {
		return nil
	}
	k, v, ok := strings.Cut(pair, "=")
	if !ok {
		panic("label without '=': " + pair)
	}
	return map[string]string{k: v}
}

func nn(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}
