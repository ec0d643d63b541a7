package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/record"

	"github.com/nodenet/nodenet/internal/runner/runnertest"
	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/test/objects"
)

func TestNothingEnforcedUntilEveryKindSynced(t *testing.T) {
	enforcer := &fakeEnforcer{}
	c := newTestController(enforcer)
	h := handlersOf(c.store)
	h.OnNetworkPolicyAdd(allowFrom("x", "p", "b", ""))
	synced := []func(){h.OnPodsSynced, h.OnNamespacesSynced, h.OnNetworkPoliciesSynced}
	for _, markSynced := range synced {
		markSynced()
		if err := c.sync(); err != nil {
			t.Fatal(err)
		}
		if enforcer.count() != 0 || c.Model() != nil {
			t.Fatal("enforced before every kind synced")
		}
	}
	h.OnNodeSynced()
	if err := c.sync(); err != nil {
		t.Fatal(err)
	}
	if call := enforcer.last(t); !call.full || call.model.PolicyCount != 1 {
		t.Errorf("first sync full=%v policies=%d, want full with the policy", call.full, call.model.PolicyCount)
	}
	if c.Model() == nil {
		t.Error("the model is not kept for dump and trace")
	}
}

func TestSyncSkipsWhenNothingChanged(t *testing.T) {
	enforcer := &fakeEnforcer{}
	c := newTestController(enforcer)
	h := handlersOf(c.store)
	syncAll(h)
	mustSync(t, c)
	mustSync(t, c)
	if n := enforcer.count(); n != 1 {
		t.Fatalf("%d enforcer calls, want 1: the second sync had nothing to do", n)
	}
	h.OnPodAdd(objects.Pod("x", "a", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10")))
	mustSync(t, c)
	if call := enforcer.last(t); call.full || len(call.model.LocalPods) != 1 {
		t.Errorf("after a pod add: full=%v localPods=%d, want a partial sync with the pod", call.full, len(call.model.LocalPods))
	}
	// An hour later the sync is full even without a change.
	c.now = func() time.Time { return time.Now().Add(2 * fullSyncPeriod) }
	mustSync(t, c)
	if call := enforcer.last(t); !call.full || enforcer.count() != 3 {
		t.Errorf("periodic sync: full=%v calls=%d, want a full third call", call.full, enforcer.count())
	}
}

func TestFailedSyncIsRetriedInFull(t *testing.T) {
	enforcer := &fakeEnforcer{}
	c := newTestController(enforcer)
	h := handlersOf(c.store)
	syncAll(h)
	mustSync(t, c)
	h.OnPodAdd(objects.Pod("x", "a", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10")))
	enforcer.setFailing(true)
	if err := c.sync(); err == nil || !strings.Contains(err.Error(), "iptables-restore") {
		t.Fatalf("sync error = %v, want the enforcer's error wrapped for the runner to retry", err)
	}
	if enforcer.last(t).full {
		t.Fatal("the failing sync should have been partial")
	}
	enforcer.setFailing(false)
	mustSync(t, c) // nothing changed since, yet the failure must be repaired
	if call := enforcer.last(t); !call.full || enforcer.count() != 3 {
		t.Errorf("retry: full=%v calls=%d, want a full third call", call.full, enforcer.count())
	}
}

func TestRunRetriesFailedSync(t *testing.T) {
	enforcer := &fakeEnforcer{failing: true}
	clk := runnertest.NewClock(time.Unix(1000, 0))
	c := New(Config{NodeName: thisNode, Clock: clk}, enforcer)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	syncAll(handlersOf(c.store)) // before Run: the pokes merge into one
	go c.Run(ctx)
	// After the failure the loop parks on the retry timer (a second): only
	// it can make a second call. The health watch parks on a timer of a
	// second too, from the start: wait for both.
	if err := clk.WaitForTimers(time.Second, 2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := enforcer.count(); n != 1 {
		t.Fatalf("%d enforcer calls before the retry, want the failed one", n)
	}
	clk.Step(time.Second)
	err := wait.PollUntilContextTimeout(ctx, time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		return enforcer.count() == 2, nil
	})
	if err != nil {
		t.Fatalf("%d enforcer calls, want a retry after the failure", enforcer.count())
	}
	if !enforcer.last(t).full {
		t.Error("the retry is not full")
	}
}

func TestInvalidPolicyReportedOnceOthersEnforced(t *testing.T) {
	enforcer := &fakeEnforcer{}
	recorder := record.NewFakeRecorder(10)
	c := New(Config{NodeName: thisNode, Events: recorder}, enforcer)
	h := handlersOf(c.store)
	h.OnPodAdd(objects.Pod("x", "target", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"), objects.WithLabelMap(map[string]string{"app": "target"})))
	h.OnPodAdd(objects.Pod("x", "b", objects.OnNode("node-b"), objects.WithIPs("10.2.0.11"), objects.WithLabelMap(map[string]string{"app": "b"})))
	h.OnNetworkPolicyAdd(allowFrom("x", "good", "b", ""))
	bad := allowFrom("x", "bad", "", "10.2.0.0/33")
	h.OnNetworkPolicyAdd(bad)
	syncAll(h)
	mustSync(t, c)

	m := enforcer.last(t).model
	if ok, why := m.Verdict(netpol.EndpointPod("x", "b"), netpol.EndpointPod("x", "target"), 80, "TCP"); !ok {
		t.Errorf("x/good does not apply beside the invalid policy: %v", why)
	}
	if ok, _ := m.Verdict(netpol.EndpointIP(mustAddr("10.2.0.99")), netpol.EndpointPod("x", "target"), 80, "TCP"); ok {
		t.Error("x/bad does not fail closed")
	}
	wantEvents(t, recorder, 1, "InvalidNetworkPolicy")

	// Pod churn recomputes the model: no new report.
	h.OnPodAdd(objects.Pod("x", "c", objects.OnNode("node-b"), objects.WithIPs("10.2.0.12")))
	mustSync(t, c)
	wantEvents(t, recorder, 0, "")

	// A label edit is no spec change: no new report, even at a later sync.
	relabelled := bad.DeepCopy()
	relabelled.ResourceVersion, relabelled.Labels = "2", map[string]string{"owner": "me"}
	h.OnNetworkPolicyUpdate(bad, relabelled)
	h.OnPodAdd(objects.Pod("x", "d", objects.OnNode("node-b"), objects.WithIPs("10.2.0.13")))
	mustSync(t, c)
	wantEvents(t, recorder, 0, "")

	// A spec edit that is still invalid is reported again, once, even
	// with the same error.
	edited := relabelled.DeepCopy()
	edited.ResourceVersion, edited.Generation = "3", 2
	edited.Spec.PodSelector.MatchLabels["tier"] = "db"
	h.OnNetworkPolicyUpdate(relabelled, edited)
	mustSync(t, c)
	mustSync(t, c)
	wantEvents(t, recorder, 1, "10.2.0.0/33")

	h.OnNetworkPolicyDelete(edited)
	mustSync(t, c)
	if len(c.reported) != 0 {
		t.Errorf("a deleted policy is still remembered: %v", c.reported)
	}
}

func TestNoEventWithoutRecorder(t *testing.T) {
	c := newTestController(&fakeEnforcer{})
	h := handlersOf(c.store)
	h.OnNetworkPolicyAdd(&networkingv1.NetworkPolicy{})
	syncAll(h)
	mustSync(t, c) // logs only; must not panic on the nil recorder
}

func mustSync(t *testing.T, c *Controller) {
	t.Helper()
	if err := c.sync(); err != nil {
		t.Fatal(err)
	}
}

// wantEvents checks that exactly n events were recorded since the last
// call, each containing substr.
func wantEvents(t *testing.T, r *record.FakeRecorder, n int, substr string) {
	t.Helper()
	got := 0
	for {
		select {
		case e := <-r.Events:
			got++
			if !strings.Contains(e, substr) || !strings.HasPrefix(e, "Warning") {
				t.Errorf("event %q, want a Warning containing %q", e, substr)
			}
			continue
		default:
		}
		break
	}
	if got != n {
		t.Errorf("%d events, want %d", got, n)
	}
}
