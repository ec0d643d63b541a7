//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// Topology-aware routing: with trafficDistribution PreferClose and zone
// hints on every endpoint, the agent sends Cluster traffic only to the
// endpoints hinted for its Node's zone; without hints, to all.

// zonedNodeYAML is nodeYAML with a topology.kubernetes.io/zone label.
func zonedNodeYAML(zone string) string {
	return strings.Replace(nodeYAML(netns.NodeExtIP), "  name: "+nodeName+"\n",
		fmt.Sprintf("  name: %s\n  labels:\n    topology.kubernetes.io/zone: %s\n", nodeName, zone), 1)
}

// preferCloseYAML is svc asking for topology-aware routing.
func preferCloseYAML(svc service) string {
	return strings.Replace(svc.YAML(), "spec:\n", "spec:\n  trafficDistribution: PreferClose\n", 1)
}

// zoneHinted adds forZones hints (pod name -> zone) to a slice written by
// sliceYAML.
func zoneHinted(slice string, zones map[string]string) string {
	for pod, zone := range zones {
		ref := "name: " + pod + "}\n"
		slice = strings.Replace(slice, ref, ref+"  hints: {forZones: [{name: "+zone+"}]}\n", 1)
	}
	return slice
}

// topologyScenario: web (PreferClose) on pod-a (hinted zone-a) and pod-b
// (hinted zone-b), the node in zone-a, pod-c the client.
func topologyScenario(t *testing.T) *scenario {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	s.write("node.yaml", zonedNodeYAML("zone-a"))
	s.write("svc-web.yaml", preferCloseYAML(web))
	s.write("eps-web.yaml", s.hintedWebSlice())
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
	return s
}

func (s *scenario) hintedWebSlice() string {
	return zoneHinted(sliceYAML(web, s.ep("pod-a"), s.ep("pod-b")), map[string]string{"pod-a": "zone-a", "pod-b": "zone-b"})
}

// waitOnly polls until n attempts per protocol from client to web are all
// answered by want.
func (s *scenario) waitOnly(client, want string, n int) {
	s.t.Helper()
	netns.Eventually(s.t, 10*time.Second, "web answered by "+want+" only", func() error {
		for _, proto := range protos {
			ans, err := s.dial(client, proto, webIP+":80", n)
			if err != nil {
				return err
			}
			if got := pods(ans); got[want] != n {
				return fmt.Errorf("%s answers %v, want only %s", proto, got, want)
			}
		}
		return nil
	})
}

// TestTopologyHintsKeepTrafficInZone: every connection reaches the zone-a
// pod; once the hints are gone both pods get traffic again.
func TestTopologyHintsKeepTrafficInZone(t *testing.T) {
	s := topologyScenario(t)
	client := s.pod("pod-c")
	for _, proto := range protos {
		if got := pods(s.mustAnswer(client, proto, webIP+":80", 20)); got["pod-a"] != 20 {
			t.Fatalf("%s answers %v, want all 20 from pod-a (zone-a)", proto, got)
		}
	}
	s.write("eps-web.yaml", sliceYAML(web, s.ep("pod-a"), s.ep("pod-b")))
	netns.Eventually(t, 10*time.Second, "both pods answer without hints", func() error {
		ans, err := s.dial(client, "tcp", webIP+":80", 20)
		if err != nil {
			return err
		}
		if got := pods(ans); got["pod-a"] == 0 || got["pod-b"] == 0 {
			return fmt.Errorf("answers %v, want both pods", got)
		}
		return nil
	})
}

// TestTopologyFollowsNodeZone: relabelling the Node into zone-b moves the
// traffic to the zone-b pod without touching the Service or its slice.
func TestTopologyFollowsNodeZone(t *testing.T) {
	s := topologyScenario(t)
	client := s.pod("pod-c")
	s.waitOnly(client, "pod-a", 10)
	s.write("node.yaml", zonedNodeYAML("zone-b"))
	s.waitOnly(client, "pod-b", 10)
}
