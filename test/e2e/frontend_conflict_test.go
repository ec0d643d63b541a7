//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// TestFrontendConflictOldestWins: a second Service with the same
// ClusterIP and port does not hijack the first one's traffic, keeps its
// other frontends (an external IP), is reported once, and takes the
// ClusterIP over when the first is deleted. The newer one's name sorts
// first: before conflicts were resolved, the backend's name order made it
// take all the traffic.
func TestFrontendConflictOldestWins(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	const shared, external = "10.96.0.71", "203.0.113.31"
	owner := service{Name: "zz-owner", Type: "ClusterIP", ClusterIP: shared, Ports: tcpUDP(80, 0)}
	hijacker := service{Name: "aa-hijacker", Type: "ClusterIP", ClusterIP: shared, ExternalIPs: []string{external}, Ports: tcpUDP(80, 0)}
	s.addCreated(owner, "2026-01-01T00:00:00Z", s.ep("pod-a"))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	client := s.pod("pod-c")
	for _, proto := range protos {
		s.waitServing(client, proto, shared+":80")
	}

	s.addCreated(hijacker, "2026-01-02T00:00:00Z", s.ep("pod-b"))
	s.waitServing(s.topo.Client.Name, "tcp", external+":80") // the hijacker is programmed
	for _, proto := range protos {
		if got := pods(s.mustAnswer(client, proto, shared+":80", 10)); got["pod-a"] != 10 {
			t.Errorf("%s %s:80 answered %v, want the owner's pod-a only", proto, shared, got)
		}
	}
	if got := pods(s.mustAnswer(s.topo.Client.Name, "tcp", external+":80", 3)); got["pod-b"] != 3 {
		t.Errorf("the hijacker's external IP answered %v, want pod-b", got)
	}

	s.remove("svc-zz-owner.yaml")
	for _, proto := range protos {
		netns.Eventually(t, 15*time.Second, proto+" "+shared+":80 passes to the hijacker", func() error {
			if got := pods(s.mustAnswer(client, proto, shared+":80", 5)); got["pod-b"] != 5 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
	}
	if n := logLines(s.agent.Output(), `object="default/aa-hijacker"`, `reason="FrontendConflict"`, "default/zz-owner"); n != 1 {
		t.Errorf("agent log has %d FrontendConflict lines for default/aa-hijacker, want 1", n)
	}
}
