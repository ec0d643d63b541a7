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
		withEgress(policy("ns-1", "named-egress", selector(), egressType), nil, portName(tcp, "http"), portNum(tcp, 443)),
		withEgress(policy("ns-2", "named-egress-peer", selector("app=app-2"), egressType),
			peers(nsPeer(selector("team=team-1"))), portName(udp, "dns"), portName(tcp, "http")),
		withIngress(policy("ns-3", "named-ingress", selector(), ingressType),
			peers(nsPodPeer(selector(), selector("tier=tier-1"))), portName(tcp, "http")),
		withIngress(policy("ghost", "ghost-allow", selector(), ingressType),
			peers(nsPeer(selector(namespaceNameLabel+"=ghost")), podPeer(expression("app", "In", "app-1", "app-3")))),
		withIngress(policy("ns-4", "two-labels", selector(), ingressType),
			peers(nsPodPeer(selector("team=team-4"), selector("app=app-5", "tier=tier-2")),
				podPeer(expression("tier", "In", "tier-0")), podPeer(selector("app=missing")))),
		withIngress(policy("ns-5", "expressions", selector(), ingressType),
			peers(podPeer(&metav1.LabelSelector{MatchLabels: map[string]string{"app": "app-3"},
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: "NotIn", Values: []string{"tier-1"}}}}),
				nsPodPeer(selector(), expression("app", "Exists")))),
		withIngress(policy("ns-4", "bad-cidr", selector("app=app-4"), ingressType), peers(blockPeer("10.0.0.0/33"))),
		withIngress(policy("ns-5", "bad-selector", expression("app", "Bogus")), nil),
		policy("ns-6", "bad-type", selector(), networkingv1.PolicyType("Sideways")),
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
