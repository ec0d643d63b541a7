//go:build e2e

package clustere2e

import (
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// outage is how long the API server is down: long enough for client-go's
// reconnect backoff to reach its cap (30 s, up to 60 s with jitter).
const outage = 60 * time.Second

// TestAPIServerOutage: with the API server stopped for a minute, traffic
// keeps flowing on the rules in place and /livez stays OK; once it is
// back and ready, a change is applied within 5 s (client-go's default
// backoff took 24-47 s here).
func TestAPIServerOutage(t *testing.T) {
	c := newCluster(t, 1)
	a := c.nodes[0]
	c.ensureNamespace(t, "web", nil)
	podA := a.addPod(t, "web", "pod-a", nil)
	podB := a.addPod(t, "web", "pod-b", nil)
	client := a.addPod(t, "web", "client", nil)
	svc := c.createService(t, "web", "web", nil)
	c.writeEndpoints(t, svc, endpoint{podA, a})
	vip := net.JoinHostPort(svc.Spec.ClusterIP, "80")
	expectAnswer(t, client.Name, vip, "pod-a")

	c.cp.StopAPIServer()
	for end := time.Now().Add(outage); time.Now().Before(end); {
		// Each probe takes about a round trip: the loop is the outage,
		// not a wait for a condition.
		got, err := netns.Dial(client.Name, "tcp", vip, 1, 2*time.Second)
		if err != nil || got[0].Pod != "pod-a" {
			t.Fatalf("traffic stopped during the outage: %v %v", got, err)
		}
		code, body, err := a.healthz("/livez")
		if err != nil || code != http.StatusOK {
			t.Fatalf("/livez during the outage: %d %s %v", code, body, err)
		}
		time.Sleep(time.Second)
	}
	c.cp.StartAPIServer(t)
	ready := time.Now()
	c.replaceEndpoints(t, svc, endpoint{podB, a})
	netns.Eventually(t, 5*time.Second, "the change made after the API server came back", func() error {
		got, err := netns.Dial(client.Name, "tcp", vip, 1, time.Second)
		if err != nil {
			return err
		}
		if got[0].Pod != "pod-b" {
			return fmt.Errorf("answered by %s", got[0].Pod)
		}
		return nil
	})
	t.Logf("change applied %v after the API server was ready again", time.Since(ready).Round(10*time.Millisecond))
}
