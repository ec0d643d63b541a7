//go:build e2e

package contract

import (
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/firewall"
)

// TestFirewallPayloadsKernelVsFake is TestBackendPayloadsKernelVsFake for
// the NetworkPolicy firewall, the fake's other user: its real syncs (full,
// partial, cleanup) of a dual-stack policy with every rule shape it
// renders (pod selectors as sets, ipBlock with except, ports, a named
// port, egress, NFLOG) on the kernel's iptables and ipsets and on the
// fakes at once.
func TestFirewallPayloadsKernelVsFake(t *testing.T) {
	eachVariant(t, func(t *testing.T, _ variant) {
		ns := newNS(t, "fw").Name
		v4, v6 := twinIn(t, ns, v1.IPv4Protocol), twinIn(t, ns, v1.IPv6Protocol)
		sets := newTwinSets(t, ns, v4, v6)
		kernels := firewall.Kernels{IPv4: v4, IPv6: v6, Sets: sets}
		fw, err := firewall.NewWithKernels(firewall.Options{LogDrops: true}, kernels)
		if err != nil {
			t.Fatal(err)
		}
		in := policyInput()
		sync := func(step string, full bool) {
			t.Helper()
			m, errs := netpol.Compute(in)
			if len(errs) > 0 {
				t.Fatalf("%s: compute: %v", step, errs)
			}
			if err := fw.Sync(m, full); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			v4.sameState(step)
			v6.sameState(step)
			sets.same(step)
		}
		sync("full sync", true)
		in.Pods = in.Pods[:len(in.Pods)-1] // a remote client goes: set members only
		sync("pod gone", false)
		in.Policies = in.Policies[:1] // the egress policy goes: chains and sets
		sync("policy gone", false)
		sync("full sync again", true)
		if err := firewall.CleanupKernels(kernels); err != nil {
			t.Fatalf("cleanup: %v", err)
		}
		v4.sameState("cleanup")
		v6.sameState("cleanup")
		sets.same("cleanup")
	})
}

func policyPod(name, node string, ips ...string) netpol.Pod {
	return netpol.Pod{Namespace: "shop", Name: name, NodeName: node, IPs: addrs(ips...), Labels: map[string]string{"role": name},
		Ports: []netpol.NamedPort{{Name: "metrics", Port: 9100, Protocol: v1.ProtocolTCP}}}
}

// policyInput: shop/db on this node takes TCP 5432 from shop/api pods
// and from 192.0.2.0/24 but 192.0.2.128/25 (and 2001:db8:c::/48), and
// its named port metrics from anywhere; shop/api may only talk to db.
func policyInput() netpol.Input {
	tcp := v1.ProtocolTCP
	pg, metrics := intstr.FromInt32(5432), intstr.FromString("metrics")
	selector := func(role string) metav1.LabelSelector {
		return metav1.LabelSelector{MatchLabels: map[string]string{"role": role}}
	}
	db := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: selector("db"),
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{
					From: []networkingv1.NetworkPolicyPeer{
						{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "api"}}},
						{IPBlock: &networkingv1.IPBlock{CIDR: "192.0.2.0/24", Except: []string{"192.0.2.128/25"}}},
						{IPBlock: &networkingv1.IPBlock{CIDR: "2001:db8:c::/48"}},
					},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &pg}},
				},
				{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &metrics}}},
			},
		},
	}
	api := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: selector("api"),
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "db"}}}}}},
		},
	}
	return netpol.Input{
		NodeName: "n1",
		NodeIPs:  addrs("192.168.1.10", "fd00:1::10"),
		PodCIDRs: []netip.Prefix{prefix("10.244.1.0/24"), prefix("fd00:244:1::/64")},
		Pods: []netpol.Pod{
			policyPod("db", "n1", "10.244.1.5", "fd00:244:1::5"),
			policyPod("api", "n1", "10.244.1.6", "fd00:244:1::6"),
			policyPod("api", "n2", "10.244.2.6", "fd00:244:2::6"),
		},
		Namespaces: []netpol.Namespace{{Name: "shop"}},
		Policies:   []*networkingv1.NetworkPolicy{db, api},
	}
}
