//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// TestBothEndpointsGetTraffic: over 40 new connections (and 40 datagrams
// from distinct sockets) random balancing reaches both endpoints; the
// chance that a fair coin picks one side 40 times is 2^-39.
func TestBothEndpointsGetTraffic(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	for _, proto := range protos {
		got := pods(s.mustAnswer(s.pod("pod-c"), proto, webIP+":80", 40))
		if got["pod-a"] == 0 || got["pod-b"] == 0 || got["pod-a"]+got["pod-b"] != 40 {
			t.Errorf("%s: answers per pod %v, want both pod-a and pod-b and nothing else", proto, got)
		}
	}
}

// TestNoEndpointsRefused: a Service port without endpoints rejects with
// ICMP, so clients fail at once with ECONNREFUSED, not after a timeout.
func TestNoEndpointsRefused(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-c")
	empty := service{Name: "empty", Type: "NodePort", ClusterIP: emptyIP, Ports: tcpUDP(80, 30085)}
	s.addService(web, s.ep("pod-a"))
	s.addService(empty)
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	// web answering proves the agent's first sync, which includes empty.
	s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
	checks := []struct{ from, addr string }{
		{s.pod("pod-c"), emptyIP + ":80"},
		{s.topo.Client.Name, fmt.Sprintf("%s:%d", netns.NodeExtIP, 30085)},
	}
	for _, c := range checks {
		for _, proto := range protos {
			assertRefused(t, c.from, proto, c.addr)
		}
	}
}

func assertRefused(t *testing.T, from, proto, addr string) {
	t.Helper()
	start := time.Now()
	ans, err := netns.Dial(from, proto, addr, 1, 3*time.Second)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if ans[0].Err != "refused" {
		t.Errorf("%s %s from %s: got %q, want ECONNREFUSED", proto, addr, from, ans[0].Line)
	}
	if took > time.Second {
		t.Errorf("%s %s from %s: refusal took %v, want immediate", proto, addr, from, took)
	}
}

// TestEndpointRemoval: once pod-b leaves the EndpointSlice file, new
// connections stop reaching it within 2 s.
func TestEndpointRemoval(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	client := s.pod("pod-c")
	if got := pods(s.mustAnswer(client, "tcp", webIP+":80", 40)); got["pod-b"] == 0 {
		t.Fatalf("before removal pod-b got no traffic: %v", got)
	}
	s.write("eps-web.yaml", sliceYAML(web, s.ep("pod-a")))
	removed := time.Now()
	err := netns.PollUntil(2*time.Second, 50*time.Millisecond, func() error {
		if got := pods(s.mustAnswer(client, "tcp", webIP+":80", 10)); got["pod-a"] != 10 {
			return fmt.Errorf("answers %v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("pod-b still gets new connections %v after removal: %v", time.Since(removed), err)
	}
	t.Logf("pod-b out of rotation %v after the file changed", time.Since(removed).Round(time.Millisecond))
	if got := pods(s.mustAnswer(client, "tcp", webIP+":80", 30)); got["pod-a"] != 30 {
		t.Errorf("after removal: answers %v, want pod-a only", got)
	}
}

// TestServiceAddedLater: a Service whose files appear while the agent runs
// becomes reachable within ~1 s (2 s allowed).
func TestServiceAddedLater(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	late := service{Name: "late", Type: "ClusterIP", ClusterIP: "10.96.0.50", Ports: tcpUDP(80, 0)}
	s.addService(late, s.ep("pod-a"))
	added := time.Now()
	err := netns.PollUntil(2*time.Second, 50*time.Millisecond, func() error {
		ans, err := netns.Dial(s.pod("pod-c"), "tcp", "10.96.0.50:80", 1, 300*time.Millisecond)
		if err != nil {
			return err
		}
		if ans[0].Pod != "pod-a" {
			return errors.New(ans[0].Line)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("late Service not reachable %v after its files appeared: %v", time.Since(added), err)
	}
}
