package objects

import (
	"fmt"
	"net/netip"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The generated cluster's node address and this node's pod CIDR.
var (
	ClusterNodeIP  = netip.MustParseAddr("10.0.0.1")
	ClusterPodCIDR = netip.MustParsePrefix("10.1.0.0/16")
)

// Cluster is a deterministic generated cluster, the one the netpol golden
// tests, BenchmarkCompute and the firewall's kernel benchmark share: pods
// spread over namespaces and apps, every tenth pod on Node, and policies of
// the shapes seen in practice (default deny, app to app on a port, from
// another team's namespaces on a port range, egress to DNS and to an
// ipBlock with exceptions, same-namespace allow on two ports).
type Cluster struct {
	Pods, Namespaces, Apps, Policies int
	// Node is this node; every other pod runs on RemoteNode.
	Node, RemoteNode string
}

func (c Cluster) String() string {
	return fmt.Sprintf("pods=%d/policies=%d", c.Pods, c.Policies)
}

// NamespaceObjects are ns-0.. with their metadata.name label (as the API
// server sets it) and a team label (team-0..team-4).
func (c Cluster) NamespaceObjects() []*v1.Namespace {
	out := make([]*v1.Namespace, 0, c.Namespaces)
	for n := 0; n < c.Namespaces; n++ {
		name := fmt.Sprintf("ns-%d", n)
		out = append(out, Namespace(name, map[string]string{v1.LabelMetadataName: name, "team": fmt.Sprintf("team-%d", n%5)}))
	}
	return out
}

// PodObjects are pod-0..: Pod(i, App(i)).
func (c Cluster) PodObjects() []*v1.Pod {
	out := make([]*v1.Pod, 0, c.Pods)
	for i := 0; i < c.Pods; i++ {
		out = append(out, c.Pod(i, c.App(i)))
	}
	return out
}

// Pod i labelled app: every tenth is local (10.1/16), the others remote
// (10.2/16); the namespace mixes i/10 and i%10 so that local pods are in
// all of them. Indexes past Pods make extra pods (benchmark churn).
func (c Cluster) Pod(i int, app string) *v1.Pod {
	node, ip := c.RemoteNode, netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)})
	if i%10 == 0 {
		node, ip = c.Node, netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
	}
	return Pod(fmt.Sprintf("ns-%d", c.namespaceOf(i)), fmt.Sprintf("pod-%d", i), OnNode(node), WithIPs(ip.String()),
		WithLabelMap(map[string]string{"app": app, "tier": fmt.Sprintf("tier-%d", i%3)}))
}

// App is pod i's app label.
func (c Cluster) App(i int) string { return fmt.Sprintf("app-%d", c.appOf(i)) }

func (c Cluster) appOf(i int) int { return (i/10*3 + i%10*11) % c.Apps }

func (c Cluster) namespaceOf(i int) int { return (i/10 + i%10*7) % c.Namespaces }

// PolicyObjects are np-0..: policy i lives in namespace i%Namespaces and
// selects the app of one of the local pods there, so that every policy
// applies on Node.
func (c Cluster) PolicyObjects() []*networkingv1.NetworkPolicy {
	out := make([]*networkingv1.NetworkPolicy, 0, c.Policies)
	for i := 0; i < c.Policies; i++ {
		out = append(out, c.policy(i))
	}
	return out
}

func (c Cluster) policy(i int) *networkingv1.NetworkPolicy {
	n := i % c.Namespaces
	target := c.targetApp(n, (i/c.Namespaces)%5)
	app := func(k int) *metav1.LabelSelector { return Selector(fmt.Sprintf("app=app-%d", (target+k)%c.Apps)) }
	tcp, udp := v1.ProtocolTCP, v1.ProtocolUDP
	np := Policy(fmt.Sprintf("ns-%d", n), fmt.Sprintf("np-%d", i), &metav1.LabelSelector{})
	switch i % 5 {
	case 0: // default deny ingress
		np.Spec.PolicyTypes = []networkingv1.PolicyType{Ingress}
	case 1: // app to app on a port
		np.Spec.PodSelector = *app(0)
		WithIngress(np, Peers(PodPeer(app(1))), PortNum(tcp, 8080))
	case 2: // from every namespace of a team, a port range
		np.Spec.PodSelector = *app(0)
		WithIngress(np, Peers(NamespacePodPeer(Selector(fmt.Sprintf("team=team-%d", i%5)), app(2))), PortRange(tcp, 9000, 9100))
	case 3: // egress: DNS anywhere in ns-0, and an ipBlock with exceptions
		np.Spec.PodSelector = *app(0)
		np.Spec.PolicyTypes = []networkingv1.PolicyType{Egress}
		WithEgress(np, Peers(NamespacePeer(Selector(v1.LabelMetadataName+"=ns-0"))), PortNum(udp, 53), PortNum(tcp, 53))
		WithEgress(np, Peers(IPBlockPeer("172.16.0.0/12", fmt.Sprintf("172.16.%d.0/24", i%256), "172.31.0.0/16")))
	case 4: // same-namespace allow on two ports
		np.Spec.PodSelector = *app(0)
		WithIngress(np, Peers(PodPeer(Selector())), PortNum(tcp, 80), PortNum(tcp, 443))
	}
	return np
}

// targetApp is the app of the nth local pod of namespace n (or of the last
// one when it has fewer).
func (c Cluster) targetApp(n, nth int) int {
	target := 0
	for k, seen := 0, 0; k < c.Pods; k += 10 {
		if c.namespaceOf(k) == n {
			if target = c.appOf(k); seen == nth {
				break
			}
			seen++
		}
	}
	return target
}
