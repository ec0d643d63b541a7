package netpol

import (
	"fmt"
	"net/netip"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// genCluster is a deterministic generated cluster of the shape the
// firewall benchmark uses (test/firewall/gen_e2e_test.go, copied rather
// than imported because that package needs root): pods spread over
// namespaces and apps, every tenth pod on this node, and policies of the
// shapes seen in practice.
type genCluster struct {
	pods, namespaces, apps, policies int
}

func (c genCluster) String() string {
	return fmt.Sprintf("pods=%d/policies=%d", c.pods, c.policies)
}

func (c genCluster) input() Input {
	in := Input{
		NodeName: thisNode,
		NodeIPs:  []netip.Addr{netip.MustParseAddr("10.0.0.1")},
		PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
	}
	for n := 0; n < c.namespaces; n++ {
		name := fmt.Sprintf("ns-%d", n)
		in.Namespaces = append(in.Namespaces, Namespace{Name: name, Labels: map[string]string{
			namespaceNameLabel: name, "team": fmt.Sprintf("team-%d", n%5)}})
	}
	for i := 0; i < c.pods; i++ {
		in.Pods = append(in.Pods, c.pod(i))
	}
	for i := 0; i < c.policies; i++ {
		in.Policies = append(in.Policies, c.policy(i))
	}
	return in
}

// pod i: every tenth is local (10.1/16), the others remote (10.2/16);
// the namespace mixes i/10 and i%10 so that local pods are in all of them.
func (c genCluster) pod(i int) Pod {
	node, ip := remoteNode, netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)})
	if i%10 == 0 {
		node, ip = thisNode, netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
	}
	return Pod{
		Namespace: fmt.Sprintf("ns-%d", c.namespaceOf(i)), Name: fmt.Sprintf("pod-%d", i), NodeName: node,
		IPs: []netip.Addr{ip}, Labels: map[string]string{"app": fmt.Sprintf("app-%d", c.appOf(i)), "tier": fmt.Sprintf("tier-%d", i%3)},
	}
}

func (c genCluster) appOf(i int) int { return (i/10*3 + i%10*11) % c.apps }

func (c genCluster) namespaceOf(i int) int { return (i/10 + i%10*7) % c.namespaces }

// policy i lives in namespace i%namespaces and selects the app of one of
// the local pods there, so that every policy applies on this node.
func (c genCluster) policy(i int) *networkingv1.NetworkPolicy {
	n := i % c.namespaces
	target := c.targetApp(n, (i/c.namespaces)%5)
	app := func(k int) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{"app": fmt.Sprintf("app-%d", (target+k)%c.apps)}}
	}
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("ns-%d", n), Name: fmt.Sprintf("np-%d", i)}}
	switch i % 5 {
	case 0: // default deny ingress
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	case 1: // app to app on a port
		np.Spec.PodSelector = *app(0)
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{PodSelector: app(1)}}, Ports: genPorts(v1.ProtocolTCP, 8080, 0)}}
	case 2: // from every namespace of a team, a port range
		np.Spec.PodSelector = *app(0)
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"team": fmt.Sprintf("team-%d", i%5)}}, PodSelector: app(2)}},
			Ports: genPorts(v1.ProtocolTCP, 9000, 9100)}}
	case 3: // egress: DNS anywhere in ns-0, and an ipBlock with exceptions
		np.Spec.PodSelector = *app(0)
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
			To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{namespaceNameLabel: "ns-0"}}}},
			Ports: append(genPorts(v1.ProtocolUDP, 53, 0), genPorts(v1.ProtocolTCP, 53, 0)...),
		}, {
			To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "172.16.0.0/12",
				Except: []string{fmt.Sprintf("172.16.%d.0/24", i%256), "172.31.0.0/16"}}}},
		}}
	case 4: // same-namespace allow on two ports
		np.Spec.PodSelector = *app(0)
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}},
			Ports: append(genPorts(v1.ProtocolTCP, 80, 0), genPorts(v1.ProtocolTCP, 443, 0)...)}}
	}
	return np
}

// targetApp is the app of the nth local pod of namespace n (or of the last
// one when it has fewer), as the firewall benchmark picks it.
func (c genCluster) targetApp(n, nth int) int {
	target := 0
	for k, seen := 0, 0; k < c.pods; k += 10 {
		if c.namespaceOf(k) == n {
			if target = c.appOf(k); seen == nth {
				break
			}
			seen++
		}
	}
	return target
}

func genPorts(proto v1.Protocol, first, last int32) []networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(first)
	np := networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
	if last != 0 {
		np.EndPort = &last
	}
	return []networkingv1.NetworkPolicyPort{np}
}
