//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// TestRestartReconcilesStaleUDP: an endpoint removed while the agent was
// stopped loses its UDP flows once the agent is back (it never saw the
// change: the reconciler finds them), and a flow to an endpoint that still
// serves keeps its entry (no flush of valid flows at start,
// kubernetes#122740). The kept flow's endpoint is terminating, so a new
// entry would go to the only ready one: it answering proves its entry
// survived.
func TestRestartReconcilesStaleUDP(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c", "pod-d")
	s.addService(web, s.ep("pod-a"), s.ep("pod-b"))
	flags := []string{"--cluster-cidr", "10.244.0.0/16"}
	s.startAgent(flags...)
	client, addr := s.pod("pod-c"), webIP+":80"
	s.waitServing(client, "udp", addr)
	toA, toB := pinnedFlows(t, client, addr, "pod-a", "pod-b")

	s.agent.Stop()
	draining := s.ep("pod-a")
	draining.Ready, draining.Terminating = false, true
	s.write("eps-web.yaml", sliceYAML(web, draining, s.ep("pod-d")))
	s.startAgent(flags...)
	waitOutput(t, s.agent, "Reconciled conntrack entries")

	netns.Eventually(t, 5*time.Second, "the flow pinned to the removed pod-b moves to pod-d", func() error {
		return answeredBy(client, addr, toB, "pod-d")
	})
	for range 3 {
		if err := answeredBy(client, addr, toA, "pod-a"); err != nil {
			t.Fatalf("the flow to pod-a (terminating, still serving) lost its entry: %v", err)
		}
	}
}

// pinnedFlows finds, among UDP source ports from 41000 on, one whose flow
// the Service sent to pod want1 and one to want2. Each port keeps its
// conntrack entry, so later datagrams from it follow the same path.
func pinnedFlows(t *testing.T, ns, addr, want1, want2 string) (sport1, sport2 int) {
	t.Helper()
	found := map[string]int{}
	for sport := 41000; sport < 41064 && len(found) < 2; sport++ {
		ans, err := netns.Dial(ns, "udp", addr, 1, time.Second, "-sport", strconv.Itoa(sport))
		if err != nil {
			t.Fatal(err)
		}
		if pod := ans[0].Pod; (pod == want1 || pod == want2) && found[pod] == 0 {
			found[pod] = sport
		}
	}
	if len(found) < 2 {
		t.Fatalf("64 source ports did not reach both %s and %s: %v", want1, want2, found)
	}
	return found[want1], found[want2]
}

// answeredBy sends one datagram from sport and checks who answered.
func answeredBy(ns, addr string, sport int, pod string) error {
	ans, err := netns.Dial(ns, "udp", addr, 1, time.Second, "-sport", strconv.Itoa(sport))
	if err != nil {
		return err
	}
	if ans[0].Pod != pod {
		return fmt.Errorf("from port %d: %w", sport, errors.New(ans[0].Line))
	}
	return nil
}
