//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// conflictPort is the NodePort two Services of TestBadInput both claim.
const conflictPort = 30090

// TestBadInput: invalid Services and a NodePort claimed twice are skipped
// and reported once each, while every other Service keeps working, and the
// NodePort passes to the other claimant when its owner goes away.
func TestBadInput(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	s.addService(web, s.ep("pod-a"), s.ep("pod-b"))
	badIP := service{Name: "bad-ip", Type: "ClusterIP", ClusterIP: "10.96.0.300", Ports: tcpUDP(80, 0)}
	s.addService(badIP, s.ep("pod-a"))
	badProto := service{Name: "bad-proto", Type: "ClusterIP", ClusterIP: "10.96.0.51",
		Ports: []port{{Name: "icmp", Protocol: "ICMP", Port: 80, Target: 8080}}}
	s.addService(badProto, s.ep("pod-a"))
	older := conflictService("np-older", "10.96.0.61")
	newer := conflictService("np-newer", "10.96.0.62")
	s.addCreated(older, "2026-01-01T00:00:00Z", s.ep("pod-a"))
	s.addCreated(newer, "2026-01-02T00:00:00Z", s.ep("pod-b"))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")

	client, nodePort := s.pod("pod-c"), fmt.Sprintf("%s:%d", netns.NodeExtIP, conflictPort)
	for _, proto := range protos {
		s.waitServing(client, proto, webIP+":80")
	}
	s.waitServing(client, "tcp", "10.96.0.61:80")
	if got := pods(s.mustAnswer(client, "tcp", "10.96.0.62:80", 5)); got["pod-b"] != 5 {
		t.Errorf("the loser's ClusterIP answered %v, want pod-b only", got)
	}
	s.waitServing(s.topo.Client.Name, "tcp", nodePort)
	if got := pods(s.mustAnswer(s.topo.Client.Name, "tcp", nodePort, 10)); got["pod-a"] != 10 {
		t.Errorf("NodePort %d answered %v, want the older Service's pod-a only", conflictPort, got)
	}
	if ans, _ := s.dial(client, "tcp", "10.96.0.51:80", 1); ans[0].Err == "" {
		t.Errorf("the invalid-protocol Service answered: %v", ans)
	}

	s.remove("svc-np-older.yaml")
	netns.Eventually(t, 15*time.Second, "NodePort passes to np-newer", func() error {
		if got := pods(s.mustAnswer(s.topo.Client.Name, "tcp", nodePort, 5)); got["pod-b"] != 5 {
			return fmt.Errorf("answers %v", got)
		}
		return nil
	})
	// Rewriting the bad manifests is a new informer event, not a new
	// problem: still one line each.
	s.addService(badIP, s.ep("pod-b"))
	s.waitServing(client, "tcp", webIP+":80")
	for _, want := range []struct{ object, reason string }{
		{"default/bad-ip", "InvalidService"},
		{"default/bad-proto", "InvalidService"},
		{"default/np-newer", "NodePortConflict"},
	} {
		if n := logLines(s.agent.Output(), `object="`+want.object+`"`, `reason="`+want.reason+`"`); n != 1 {
			t.Errorf("agent log has %d lines naming %s %s, want 1", n, want.object, want.reason)
		}
	}
}

// conflictService is a TCP NodePort Service on conflictPort.
func conflictService(name, ip string) service {
	return service{Name: name, Type: "NodePort", ClusterIP: ip,
		Ports: []port{{Name: "tcp", Protocol: "TCP", Port: 80, Target: 8080, NodePort: conflictPort}}}
}

// addCreated is addService with a creationTimestamp, which decides who
// owns a contested NodePort.
func (s *scenario) addCreated(svc service, created string, eps ...endpoint) {
	s.t.Helper()
	meta := "  namespace: default\n"
	yaml := strings.Replace(svc.YAML(), meta, meta+"  creationTimestamp: \""+created+"\"\n", 1)
	s.write("svc-"+svc.Name+".yaml", yaml)
	s.write("eps-"+svc.Name+".yaml", sliceYAML(svc, eps...))
}

// logLines counts the lines of log that contain every one of subs.
func logLines(log string, subs ...string) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, sub := range subs {
			all = all && strings.Contains(line, sub)
		}
		if all {
			n++
		}
	}
	return n
}
