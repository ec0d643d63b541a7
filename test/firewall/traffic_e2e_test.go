//go:build e2e

package firewall

import (
	"net/netip"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/firewall"
	"github.com/nodenet/nodenet/test/netns"
)

// TestTrafficFollowsPolicy: real connections between pods on the node's
// bridge (br_netfilter), from the node and from an outside client, with
// pod-a accepting TCP 8080 from pod-b only. Denied clients fail at once
// (ICMP admin-prohibited), not by timeout; the node always gets through;
// an address of the pod range unknown to the model is gated.
func TestTrafficFollowsPolicy(t *testing.T) {
	topo := netns.NewProxyTopology(t, "fw", "pod-a", "pod-b", "pod-c")
	a, b, c := topo.Pods[0], topo.Pods[1], topo.Pods[2]
	for _, p := range topo.Pods {
		p.StartEcho(t, 8080, 0)
	}
	in := trafficInput(topo)
	var fw *firewall.Firewall
	mustWithin(t, topo.Node.Name, func() (err error) {
		if fw, err = firewall.New(firewall.Options{LogDrops: true}); err != nil {
			return err
		}
		return fw.Sync(compute(t, in), false)
	})
	t.Cleanup(func() { _ = within(t, topo.Node.Name, firewall.Cleanup) })

	target := a.IP + ":8080"
	expect(t, b.Name, target, "pod-a", "")                 // allowed peer
	expect(t, c.Name, target, "", "unreachable")           // same bridge, denied
	expect(t, topo.Client.Name, target, "", "unreachable") // routed, denied
	expect(t, topo.Node.Name, target, "pod-a", "")         // node: always allowed
	expect(t, a.Name, b.IP+":8080", "pod-b", "")           // pod-a's egress is not isolated

	// pod-c disappears from the model: its address is now unknown, and
	// with a policy present, gated even towards a pod that isolates nothing.
	in.Pods = in.Pods[:2]
	mustWithin(t, topo.Node.Name, func() error { return fw.Sync(compute(t, in), false) })
	expect(t, c.Name, b.IP+":8080", "", "unreachable")
	expect(t, a.Name, b.IP+":8080", "pod-b", "")
}

// expect dials once and checks who answered, or the error kind. The
// timeout is long, so a deny that is a DROP rather than a REJECT shows as
// "timeout", not as a pass.
func expect(t *testing.T, from, addr, wantPod, wantErr string) {
	t.Helper()
	answers, err := netns.Dial(from, "tcp", addr, 1, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := answers[0]; got.Pod != wantPod || got.Err != wantErr {
		t.Errorf("%s -> %s: answered by %q, error %q; want %q, %q (%s)", from, addr, got.Pod, got.Err, wantPod, wantErr, got.Line)
	}
}

func trafficInput(topo *netns.ProxyTopology) netpol.Input {
	tcp := v1.ProtocolTCP
	port := intstr.FromInt32(8080)
	only := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "a-from-b"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "pod-a"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pod-b"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
			}},
		},
	}
	in := netpol.Input{
		NodeName:   thisNode,
		NodeIPs:    []netip.Addr{netip.MustParseAddr(netns.NodeExtIP), netip.MustParseAddr(netns.NodePodIP)},
		PodCIDRs:   []netip.Prefix{netip.MustParsePrefix(netns.PodCIDR)},
		Namespaces: []netpol.Namespace{{Name: "x"}},
		Policies:   []*networkingv1.NetworkPolicy{only},
	}
	for _, p := range topo.Pods {
		in.Pods = append(in.Pods, testPod("x", p.PodName, thisNode, p.IP, p.PodName))
	}
	return in
}
