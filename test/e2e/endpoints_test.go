//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// TestNotReadyEndpointSkipped: an endpoint whose ready condition is false
// gets no traffic while a ready one exists.
func TestNotReadyEndpointSkipped(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	notReady := s.ep("pod-b")
	notReady.Ready, notReady.Serving = false, false
	s.addService(web, s.ep("pod-a"), notReady)
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
	if got := pods(s.mustAnswer(s.pod("pod-c"), "tcp", webIP+":80", 20)); got["pod-a"] != 20 {
		t.Errorf("answers %v, want only the ready pod-a", got)
	}
}

// TestServiceHairpin: a pod reaching a Service that picks the pod itself
// gets an answer; the source is masqueraded so that the reply comes back
// through the node (kube-proxy does the same).
func TestServiceHairpin(t *testing.T) {
	s := newScenario(t, "pod-a")
	s.addService(web, s.ep("pod-a"))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	// The node reaching web proves the agent synced; then one attempt each.
	s.waitServing(s.topo.Node.Name, "tcp", webIP+":80")
	for _, proto := range protos {
		ans, err := netns.Dial(s.pod("pod-a"), proto, webIP+":80", 1, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if a := ans[0]; a.Pod != "pod-a" || a.Source != netns.NodePodIP {
			t.Errorf("%s hairpin: %q, want pod-a seeing %s (no hairpin masquerade?)", proto, a.Line, netns.NodePodIP)
		}
	}
}

// TestServiceDeleted: once a Service's files are gone its ClusterIP stops
// answering within 2 s.
func TestServiceDeleted(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	s.remove("svc-web.yaml")
	s.remove("eps-web.yaml")
	err := netns.PollUntil(2*time.Second, 50*time.Millisecond, func() error {
		ans, err := netns.Dial(s.pod("pod-c"), "tcp", webIP+":80", 1, 300*time.Millisecond)
		if err != nil {
			return err
		}
		if ans[0].Err == "" {
			return fmt.Errorf("still answered: %s", ans[0].Line)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("web still served after its files were removed: %v", err)
	}
}

// TestUDPStaleConntrackFlushed: UDP flows are tracked by 5-tuple, so a
// client that keeps its source port would stick to a removed endpoint
// until the conntrack entry expires; kube-proxy deletes those entries, and
// so must nodenet: the same socket address moves to the new endpoint within
// 2 s.
func TestUDPStaleConntrackFlushed(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	s.addService(web, s.ep("pod-b"))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	client := s.pod("pod-c")
	s.waitServing(client, "udp", webIP+":80")
	sport := []string{"-sport", "40000"}
	if ans, err := netns.Dial(client, "udp", webIP+":80", 3, time.Second, sport...); err != nil || pods(ans)["pod-b"] != 3 {
		t.Fatalf("before the switch: %v %v, want pod-b", ans, err)
	}
	s.write("eps-web.yaml", sliceYAML(web, s.ep("pod-a")))
	err := netns.PollUntil(2*time.Second, 100*time.Millisecond, func() error {
		ans, err := netns.Dial(client, "udp", webIP+":80", 1, 300*time.Millisecond, sport...)
		if err != nil {
			return err
		}
		if ans[0].Pod != "pod-a" {
			return errors.New(ans[0].Line)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("UDP flow from port 40000 still not on pod-a (stale conntrack entry?): %v", err)
	}
}

// TestNodePortAddresses: with --nodeport-addresses only the node's
// addresses inside those CIDRs serve NodePorts.
func TestNodePortAddresses(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16", "--nodeport-addresses", "10.244.1.0/24")
	onPodNet := fmt.Sprintf("%s:%d", netns.NodePodIP, webNodePrt)
	s.waitServing(s.pod("pod-c"), "tcp", onPodNet)
	outside := fmt.Sprintf("%s:%d", netns.NodeExtIP, webNodePrt)
	ans, err := netns.Dial(s.topo.Client.Name, "tcp", outside, 1, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ans[0].Err == "" {
		t.Errorf("NodePort answered on %s, outside --nodeport-addresses: %s", outside, ans[0].Line)
	}
}
