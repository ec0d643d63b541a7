package objects

import (
	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Policy types, short.
const (
	Ingress = networkingv1.PolicyTypeIngress
	Egress  = networkingv1.PolicyTypeEgress
)

// Policy is a NetworkPolicy ns/name selecting podSelector, with no rules.
func Policy(ns, name string, podSelector *metav1.LabelSelector, types ...networkingv1.PolicyType) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: *podSelector, PolicyTypes: types},
	}
}

// WithIngress appends an ingress rule to np.
func WithIngress(np *networkingv1.NetworkPolicy, from []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
	np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: from, Ports: ports})
	return np
}

// WithEgress appends an egress rule to np.
func WithEgress(np *networkingv1.NetworkPolicy, to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
	np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: to, Ports: ports})
	return np
}

// Peers lists peers (nil: no peer list, which means everyone).
func Peers(p ...networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer { return p }

// PodPeer: pods of the policy's namespace matching s.
func PodPeer(s *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: s}
}

// NamespacePeer: every pod of the namespaces matching s.
func NamespacePeer(s *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: s}
}

// NamespacePodPeer: pods matching pod in namespaces matching ns.
func NamespacePodPeer(ns, pod *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: ns, PodSelector: pod}
}

// IPBlockPeer: addresses in cidr but not in except.
func IPBlockPeer(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

// PortNum is one port of proto.
func PortNum(proto v1.Protocol, port int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(port)
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

// PortRange is first..last of proto; last 0 is first alone.
func PortRange(proto v1.Protocol, first, last int32) networkingv1.NetworkPolicyPort {
	p := PortNum(proto, first)
	if last != 0 {
		p.EndPort = &last
	}
	return p
}

// PortName is a named container port of proto.
func PortName(proto v1.Protocol, name string) networkingv1.NetworkPolicyPort {
	p := intstr.FromString(name)
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

// PortProto is every port of proto.
func PortProto(proto v1.Protocol) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: &proto}
}

// PortDefaultProtocol leaves the protocol unset, which means TCP.
func PortDefaultProtocol(port int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(port)
	return networkingv1.NetworkPolicyPort{Port: &p}
}
