package source

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/test/objects"
)

// TestPermissionsCoverRequests: every request the agent's client makes
// (all informers, an Event created and patched) is one Permissions lists,
// and each permission is used; deploy's ClusterRole is checked against
// Permissions, so a new informer without its RBAC fails here or there.
func TestPermissionsCoverRequests(t *testing.T) {
	r := newRecorder()
	server := newAPIServer(t, objects.Node("node-a", objects.NodeLabels(nil)))
	h := r.handlers()
	policy := r.policyHandlers()
	h.Pods, h.Namespaces, h.NetworkPolicies = policy.Pods, policy.Namespaces, policy.NetworkPolicies
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := server.client(t)
	go func() { _ = RunInformers(ctx, client, "node-a", h, 0) }()
	server.waitWatches(t, len(kinds))

	sink := client.EventSink(ctx)
	event := &v1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web.1"}, Reason: "Test", Count: 1}
	if _, err := sink.Create(event); err != nil {
		t.Fatal(err)
	}
	if _, err := sink.Patch(event, []byte(`{"count":2}`)); err != nil {
		t.Fatal(err)
	}

	used := sets.New[string]()
	for _, a := range server.fake.Actions() {
		used.Insert(a.GetResource().Group + "/" + a.GetResource().Resource + ":" + a.GetVerb())
	}
	granted := sets.New[string]()
	for _, p := range Permissions() {
		for _, verb := range p.Verbs {
			granted.Insert(p.Group + "/" + p.Resource + ":" + verb)
		}
	}
	if !used.Equal(granted) {
		t.Errorf("requests made but not in Permissions: %v; listed but never made: %v",
			sets.List(used.Difference(granted)), sets.List(granted.Difference(used)))
	}
}
