//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// onlyFromY isolates x/a for ingress and lets namespace y in.
var onlyFromY = policyFile{"x", "a-from-y", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: "y"}}
`}

func (w *policyWorld) writePolicy(p policyFile) {
	w.write(p.file(), policyYAML(p.ns, p.name, p.spec))
}

// TestNetworkPolicyAppliesAfterServiceDNAT: a policy on an endpoint pod
// judges the connections a Service sends it by their real source, because
// the Service's DNAT happens before the firewall, as with kube-proxy.
func TestNetworkPolicyAppliesAfterServiceDNAT(t *testing.T) {
	w := newPolicyWorld(t)
	svc := service{Name: "xa", Type: "ClusterIP", ClusterIP: webIP, Ports: []port{
		{Name: "tcp", Protocol: "TCP", Port: 80, Target: 80},
		{Name: "udp", Protocol: "UDP", Port: 80, Target: 80},
	}}
	a := w.byRef[xa]
	w.addService(svc, endpoint{Pod: a.PodName, IP: a.IP, Ready: true, Serving: true})
	w.writePolicy(onlyFromY)
	w.expectMatrix(t, "x/a only from namespace y", func(c cell) bool { return c.dst != xa || c.src.NS == "y" })
	for _, proto := range []string{"tcp", "udp"} {
		addr := webIP + ":80"
		got := w.waitServing(w.netnsOf(podRef{NS: "y", Name: "b"}), proto, addr)
		if got.Pod != a.PodName {
			t.Errorf("%s %s from y/b answered by %q, want %s", proto, addr, got.Pod, a.PodName)
		}
		ans, err := w.dial(w.netnsOf(podRef{NS: "z", Name: "b"}), proto, addr, 1)
		if err != nil {
			t.Fatal(err)
		}
		if ans[0].Err == "" {
			t.Errorf("%s %s from z/b: answered %q through the Service, want it denied", proto, addr, ans[0].Line)
		}
	}
}

// TestNetworkPolicyGatesUnknownPods: an address of the node's pod range that
// belongs to no known pod gets no access while any policy exists, so a pod
// that starts before the agent learns of it cannot slip past the policies
// that will select it. Without policies nothing is gated.
func TestNetworkPolicyGatesUnknownPods(t *testing.T) {
	w := newPolicyWorld(t)
	late := w.topo.AddPod(t, "late", 19)
	w.startServers(t, late)
	xbNS, xbIP := w.netnsOf(xb), w.addrOf(xb, false)
	reach := func(fromNS, toIP string) bool {
		ans, err := netns.Dial(fromNS, "tcp", toIP+":80", 1, probeTimeout)
		return err == nil && ans[0].Err == ""
	}
	expectBoth := func(what string, want bool) {
		t.Helper()
		netns.Eventually(t, 15*time.Second, what, func() error {
			if got := reach(late.Name, xbIP); got != want {
				return fmt.Errorf("late -> x/b connected=%v", got)
			}
			if got := reach(xbNS, late.IP); got != want {
				return fmt.Errorf("x/b -> late connected=%v", got)
			}
			return nil
		})
	}
	expectBoth("no policies: an unknown pod is not gated", true)
	w.writePolicy(onlyFromY)
	expectBoth("with a policy: the unknown pod is gated both ways", false)
	w.expectMatrix(t, "known pods are unaffected by the gate",
		func(c cell) bool { return c.dst != xa || c.src.NS == "y" })
	w.write(podFile(podRef{NS: "z", Name: "late"}), podYAML(podRef{NS: "z", Name: "late"}, nodeName, late.IP, late.IP6))
	expectBoth("once its Pod is known (no policy selects it) it connects", true)
}

// TestNetworkPolicyInvalidFailsClosed: a policy that cannot be applied is
// reported, and the pods it selects are denied what it would have allowed
// (fail closed), while every other policy stays enforced.
func TestNetworkPolicyInvalidFailsClosed(t *testing.T) {
	w := newPolicyWorld(t)
	w.writePolicy(policyFile{"x", "broken", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - ipBlock: {cidr: 10.244.1.0/33}
`})
	w.writePolicy(policyFile{"y", "a-from-x", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: x}}
`})
	ya := podRef{NS: "y", Name: "a"}
	w.expectMatrix(t, "x/a closed, y/a only from x", func(c cell) bool {
		return c.dst != xa && (c.dst != ya || c.src.NS == "x")
	})
	// Traffic from the pod's own node is always allowed (kubelet probes).
	if ans, err := netns.Dial(w.topo.Node.Name, "tcp", w.addrOf(xa, false)+":80", 1, probeTimeout); err != nil || ans[0].Err != "" {
		t.Errorf("the node cannot reach the closed x/a: %v %v", err, ans)
	}
	if err := w.agent.WaitOutput(5*time.Second, "x/broken"); err != nil {
		t.Errorf("the agent did not name the invalid policy x/broken in its log: %v", err)
	}
}

// TestNetworkPolicyLogsDrops: with --netpol-log-drops, a denied packet is
// handed to NFLOG with the pod and the policy that isolates it.
func TestNetworkPolicyLogsDrops(t *testing.T) {
	w := newPolicyWorld(t, "--netpol-log-drops", "--netpol-log-group", "77")
	w.writePolicy(onlyFromY)
	w.expectMatrix(t, "x/a only from namespace y", func(c cell) bool { return c.dst != xa || c.src.NS == "y" })
	logger := netns.Start(t, w.topo.Node.Name, "nflog", netns.EchoBin, "nflog", "-group", "77", "-n", "1", "-timeout", "20s")
	logger.LogOnFailure(t)
	if err := logger.WaitOutput(5*time.Second, "ready"); err != nil {
		t.Fatal(err)
	}
	from := podRef{NS: "z", Name: "c"}
	if _, err := netns.Dial(w.netnsOf(from), "tcp", w.addrOf(xa, false)+":80", 1, probeTimeout); err != nil {
		t.Fatal(err)
	}
	if err := logger.Wait(10 * time.Second); err != nil {
		t.Fatalf("no packet logged to NFLOG group 77: %v\n%s", err, logger.Output())
	}
	line := logger.Output()
	for _, want := range []string{"x/a", "x/a-from-y", "src=" + w.addrOf(from, false)} {
		if !strings.Contains(line, want) {
			t.Errorf("NFLOG line %q does not contain %q", line, want)
		}
	}
}

// TestNetworkPolicyKeepsIPv6NeighbourDiscovery: a pod isolated for ingress
// still resolves its neighbours over IPv6. Neighbour advertisements are
// bridged through FORWARD untracked, and rejecting them (as policy chains
// would) cuts the pod off IPv6 to every pod, allowed or not.
func TestNetworkPolicyKeepsIPv6NeighbourDiscovery(t *testing.T) {
	w := newPolicyWorld(t)
	w.writePolicy(onlyFromY)
	w.expectMatrix(t, "x/a only from namespace y", func(c cell) bool { return c.dst != xa || c.src.NS == "y" })
	for _, ref := range []podRef{xa, xb} {
		netns.IP(t, w.netnsOf(ref), "-6", "neigh", "flush", "all")
	}
	target := "tcp/" + net.JoinHostPort(w.addrOf(xb, true), "80")
	out, err := netns.Exec(w.netnsOf(xa), netns.EchoBin, "probe", "-timeout", "3s", target)
	if err != nil || !strings.Contains(out, " ok ") {
		t.Fatalf("x/a -> x/b over IPv6 after flushing both neighbour caches: %v %s", err, out)
	}
}
