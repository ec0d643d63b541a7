//go:build e2e

package firewall

import (
	"net/netip"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/firewall"
)

// TestPeerSetLargerThanIPSetDefault: ipset caps a set at 65536 members
// unless told otherwise, and a peer of every pod ("from any namespace")
// in a cluster larger than that would make every sync fail, the policy
// changes after it never applied.
func TestPeerSetLargerThanIPSetDefault(t *testing.T) {
	ns := newNode(t)
	const pods = 70000
	in := netpol.Input{
		NodeName:   thisNode,
		NodeIPs:    []netip.Addr{netip.MustParseAddr("10.0.0.1")},
		PodCIDRs:   []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24")},
		Namespaces: []netpol.Namespace{{Name: "x"}},
		Pods:       []netpol.Pod{testPod("x", "web", thisNode, "10.1.0.10", "web")},
		Policies: []*networkingv1.NetworkPolicy{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "from-any-namespace"},
			Spec: networkingv1.NetworkPolicySpec{
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
				}},
			},
		}},
	}
	for i := range pods {
		ip := netip.AddrFrom4([4]byte{10, 2 + byte(i>>16), byte(i >> 8), byte(i)})
		in.Pods = append(in.Pods, testPod("x", ip.String(), "remote", ip.String(), "client"))
	}
	mustWithin(t, ns.Name, func() error {
		fw, err := firewall.New(firewall.Options{})
		if err != nil {
			return err
		}
		return fw.Sync(compute(t, in), false)
	})
	t.Cleanup(func() { _ = within(t, ns.Name, firewall.Cleanup) })
}
