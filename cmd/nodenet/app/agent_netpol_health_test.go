package app

import (
	"testing"
	"time"

	"github.com/nodenet/nodenet/netpol/controller"
)

func TestFirewallUnhealthyWhileAListIsMissingAfterTheGrace(t *testing.T) {
	ctrl := controller.New(controller.Config{NodeName: "n"}, nil)
	now := time.Unix(1000, 0)
	healthy := firewallHealthy(ctrl, 10*time.Second, func() time.Time { return now })
	if !healthy() {
		t.Fatal("unhealthy within the grace")
	}
	now = now.Add(11 * time.Second)
	if healthy() {
		t.Fatal("healthy after the grace with no list received (e.g. Pods forbidden)")
	}
	h := ctrl.Handlers()
	h.Pods.OnPodsSynced()
	h.Namespaces.OnNamespacesSynced()
	h.NetworkPolicies.OnNetworkPoliciesSynced()
	h.Nodes.OnNodeSynced()
	if !healthy() {
		t.Fatal("unhealthy once every list arrived")
	}
	if firewallHealthy(nil, 0, time.Now) != nil {
		t.Fatal("--netpol=false: the firewall must have no say")
	}
}
