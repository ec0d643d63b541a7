package netpol

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/internal/golden"
	"github.com/nodenet/nodenet/test/objects"
)

// TestComputeGeneratedCluster pins the whole model of generated clusters,
// so that work on Compute's speed cannot change what it computes. The
// golden files were written by the straightforward Compute that scanned
// every pod for every peer.
func TestComputeGeneratedCluster(t *testing.T) {
	for _, c := range []objects.Cluster{
		genCluster(1000, 20, 25, 200),
	} {
		t.Run(c.String(), func(t *testing.T) {
			m, _ := Compute(genInput(c))
			golden.Check(t, fmt.Sprintf("testdata/compute-%d-%d.golden", c.Pods, c.Policies), summarize(m))
		})
	}
	t.Run("mixed", func(t *testing.T) {
		m, _ := Compute(mixedInput())
		golden.Check(t, "testdata/compute-mixed.golden", summarize(m))
	})
}

// mixedInput adds to a small generated cluster what its shapes leave out:
// named ports (ingress and egress, with an empty `to`), IPv6, hostNetwork
// pods, a namespace missing from Namespaces, selectors with several
// requirements and other operators, and invalid policies.
func mixedInput() Input {
	in := genInput(genCluster(300, 7, 9, 60))
	for i := range in.Pods {
		pod := &in.Pods[i]
		pod.Ports = []NamedPort{{Name: "http", Port: 8080 + int32(i%3), Protocol: tcp}}
		if i%7 == 0 {
			pod.Ports = append(pod.Ports, NamedPort{Name: "dns", Port: 53, Protocol: udp})
		}
		if i%11 == 0 {
			pod.IPs = append(pod.IPs, netip.AddrFrom16([16]byte{0xfd, 15: byte(i)}))
		}
		pod.HostNetwork = i%13 == 3
	}
	in.Pods = append(in.Pods, newPod("ghost", "g1", remoteNode, "10.3.0.1", "app=app-1"),
		newPod("ghost", "g2", thisNode, "10.1.200.1", "app=app-2", NamedPort{"http", 8080, tcp}))
	in.Policies = append(in.Policies,
		objects.WithEgress(objects.Policy("ns-1", "named-egress", objects.Selector(), objects.Egress), nil, objects.PortName(tcp, "http"), objects.PortNum(tcp, 443)),
		objects.WithEgress(objects.Policy("ns-2", "named-egress-peer", objects.Selector("app=app-2"), objects.Egress),
			objects.Peers(objects.NamespacePeer(objects.Selector("team=team-1"))), objects.PortName(udp, "dns"), objects.PortName(tcp, "http")),
		objects.WithIngress(objects.Policy("ns-3", "named-ingress", objects.Selector(), objects.Ingress),
			objects.Peers(objects.NamespacePodPeer(objects.Selector(), objects.Selector("tier=tier-1"))), objects.PortName(tcp, "http")),
		objects.WithIngress(objects.Policy("ghost", "ghost-allow", objects.Selector(), objects.Ingress),
			objects.Peers(objects.NamespacePeer(objects.Selector(namespaceNameLabel+"=ghost")), objects.PodPeer(objects.Expression("app", "In", "app-1", "app-3")))),
		objects.WithIngress(objects.Policy("ns-4", "two-labels", objects.Selector(), objects.Ingress),
			objects.Peers(objects.NamespacePodPeer(objects.Selector("team=team-4"), objects.Selector("app=app-5", "tier=tier-2")),
				objects.PodPeer(objects.Expression("tier", "In", "tier-0")), objects.PodPeer(objects.Selector("app=missing")))),
		objects.WithIngress(objects.Policy("ns-5", "expressions", objects.Selector(), objects.Ingress),
			objects.Peers(objects.PodPeer(&metav1.LabelSelector{MatchLabels: map[string]string{"app": "app-3"},
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: "NotIn", Values: []string{"tier-1"}}}}),
				objects.NamespacePodPeer(objects.Selector(), objects.Expression("app", "Exists")))),
		objects.WithIngress(objects.Policy("ns-4", "bad-cidr", objects.Selector("app=app-4"), objects.Ingress), objects.Peers(objects.IPBlockPeer("10.0.0.0/33"))),
		objects.WithIngress(objects.Policy("ns-5", "bad-selector", objects.Expression("app", "Bogus")), nil),
		objects.Policy("ns-6", "bad-type", objects.Selector(), networkingv1.PolicyType("Sideways")),
	)
	return in
}

// summarize writes every field of m that Compute sets, in a stable order.
func summarize(m *Model) string {
	var b strings.Builder
	fmt.Fprintf(&b, "node %s ips %v cidrs %v policies %d\n", m.NodeName, m.NodeIPs, m.PodCIDRs, m.PolicyCount)
	for _, err := range m.Errors {
		fmt.Fprintf(&b, "error %v\n", err)
	}
	for _, pr := range m.SortedLocalPods() {
		fmt.Fprintf(&b, "pod %s %v\n", pr.Pod, pr.IPs)
		summarizeDirection(&b, Ingress, &pr.Ingress)
		summarizeDirection(&b, Egress, &pr.Egress)
	}
	for _, p := range m.SortedPeers() {
		fmt.Fprintf(&b, "peer %s %s %q\n", p.Name, p.Kind, p.Origin)
		switch p.Kind {
		case PeerPods:
			fmt.Fprintf(&b, "  pods %v\n  addrs %v\n", p.Pods, p.Addrs)
		case PeerIPBlock:
			fmt.Fprintf(&b, "  block %s except %v\n", p.Block.CIDR, p.Block.Except)
		}
	}
	return b.String()
}

func summarizeDirection(b *strings.Builder, d Direction, dr *DirectionRules) {
	if !dr.Isolated && len(dr.Rules) == 0 {
		return
	}
	fmt.Fprintf(b, "  %s isolated=%t by %v\n", d, dr.Isolated, dr.IsolatedBy)
	for _, r := range dr.Rules {
		fmt.Fprintf(b, "    %s %s %v\n", r.Policy, r.Peer.Name, r.Ports)
	}
}
