//go:build e2e

package e2e

import (
	"testing"
	"time"
)

// TestSessionAffinityTimeoutIsIdleTime: a client that keeps connecting
// more often than timeoutSeconds stays on its endpoint past the timeout,
// as in kube-proxy (the timeout counts from the client's last connection,
// not its first). With four endpoints, a client re-balanced at each
// expiry would stay put through two expiries with probability 1/16.
func TestSessionAffinityTimeoutIsIdleTime(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c", "pod-d", "pod-e")
	svc := web
	svc.SessionAffinity = "ClientIP"
	s.addService(svc, s.ep("pod-a"), s.ep("pod-b"), s.ep("pod-c"), s.ep("pod-d"))
	// svc has no status, so the spec is the YAML's last block.
	s.write("svc-web.yaml", svc.YAML()+"  sessionAffinityConfig: {clientIP: {timeoutSeconds: 2}}\n")
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	client := s.pod("pod-e")
	s.waitServing(client, "tcp", webIP+":80")

	seen := map[string]int{}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		for pod, n := range pods(s.mustAnswer(client, "tcp", webIP+":80", 1)) {
			seen[pod] += n
		}
		// Pace on purpose: the test is about time passing between
		// connections, there is no condition to poll for.
		time.Sleep(500 * time.Millisecond)
	}
	if len(seen) != 1 {
		t.Errorf("an active client moved between endpoints: %v", seen)
	}
}
