package source

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/nodenet/nodenet/test/objects"
)

// The proxy must not wait for the firewall's kinds: a cluster whose RBAC
// lacks the Pod watch (an upgrade that did not apply the new ClusterRole),
// or whose Pod list is slow, must still get its Services programmed.
func TestInformersSyncEachKindOnItsOwn(t *testing.T) {
	r := newRecorder()
	server := newAPIServer(t, service("default", "web", 80, nil), objects.Node("node-a", objects.NodeLabels(nil)))
	server.fake.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", nil)
	})
	h := r.handlers()
	policy := r.policyHandlers()
	h.Pods, h.Namespaces, h.NetworkPolicies = policy.Pods, policy.Namespaces, policy.NetworkPolicies
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- RunInformers(ctx, server.client(t), "node-a", h, 0) }()

	r.waitFor(t, 0, eventTimeout, "synced Service", "synced EndpointSlice", "synced Node", "synced Namespace", "synced NetworkPolicy")
	if n := r.countOf("synced Pod"); n != 0 {
		t.Errorf("Pods synced %d times although their list is forbidden", n)
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("RunInformers returned nil although Pods never synced")
		}
	case <-time.After(eventTimeout):
		t.Fatal("RunInformers did not return after ctx ended")
	}
	if n := r.countOf("synced Pod"); n != 0 {
		t.Errorf("Pods synced %d times although their list is forbidden", n)
	}
}
