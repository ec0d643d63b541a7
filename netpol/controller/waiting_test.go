package controller

import (
	"slices"
	"testing"
)

func TestWaitingForNamesTheKindsNotListedYet(t *testing.T) {
	c := New(Config{NodeName: "n"}, nil)
	h := c.Handlers()
	if got := c.WaitingFor(); !slices.Equal(got, []string{"pods", "namespaces", "networkpolicies", "node"}) {
		t.Fatalf("before any list: %v", got)
	}
	h.Namespaces.OnNamespacesSynced()
	h.NetworkPolicies.OnNetworkPoliciesSynced()
	h.Nodes.OnNodeSynced()
	if got := c.WaitingFor(); !slices.Equal(got, []string{"pods"}) {
		t.Fatalf("with Pods forbidden: %v, want [pods]", got)
	}
	h.Pods.OnPodsSynced()
	if got := c.WaitingFor(); len(got) != 0 {
		t.Fatalf("all listed: %v", got)
	}
}
