package app

import (
	"testing"
	"time"

	"github.com/nodenet/nodenet/netpol/controller"
	"github.com/nodenet/nodenet/proxy"
)

func TestFirewallHealthFailsWhileAListIsMissingAfterTheGrace(t *testing.T) {
	ctrl := controller.New(controller.Config{NodeName: "n"}, nil)
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	healthy := func() proxy.HealthState { return proxy.HealthState{Healthy: true} }
	health := firewallHealth(healthy, ctrl, 10*time.Second, clock)
	if !health().Healthy {
		t.Fatal("unhealthy within the grace")
	}
	now = now.Add(11 * time.Second)
	if health().Healthy {
		t.Fatal("healthy after the grace with no list received (e.g. Pods forbidden)")
	}
	h := ctrl.Handlers()
	h.Pods.OnPodsSynced()
	h.Namespaces.OnNamespacesSynced()
	h.NetworkPolicies.OnNetworkPoliciesSynced()
	h.Nodes.OnNodeSynced()
	if !health().Healthy {
		t.Fatal("unhealthy once every list arrived")
	}
	if got := firewallHealth(healthy, nil, 0, clock); !got().Healthy {
		t.Fatal("--netpol=false: health must be the proxy's")
	}
}
