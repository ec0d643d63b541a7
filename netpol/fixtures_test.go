package netpol

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/test/objects"
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
	pod := Pod{Namespace: ns, Name: name, NodeName: node, Labels: objects.Labels(label), Ports: ports}
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

func nn(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}
