package controller

import (
	"testing"
	"time"

	"k8s.io/client-go/tools/record"

	"github.com/nodenet/nodenet/test/objects"
)

// TestUnhealthyWhenAChangeWaitsTooLong: a policy change the firewall
// cannot apply turns the controller unhealthy after twice the sync period
// (not before), a Warning Event names the policy not enforced (and not
// the one enforced before), and a successful sync makes it healthy again.
func TestUnhealthyWhenAChangeWaitsTooLong(t *testing.T) {
	enforcer := &fakeEnforcer{}
	recorder := record.NewFakeRecorder(10)
	c := New(Config{NodeName: thisNode, Events: recorder, SyncPeriod: 10 * time.Second}, enforcer)
	clock := time.Unix(1000, 0)
	c.now = func() time.Time { return clock }
	c.store.now = c.now
	h := handlersOf(c.store)
	h.OnPodAdd(objects.Pod("x", "a", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"), objects.WithLabelMap(map[string]string{"app": "a"})))
	h.OnNetworkPolicyAdd(allowFrom("x", "old", "a", ""))
	syncAll(h)
	mustSync(t, c)
	if !c.Healthy() || c.Waiting() != 0 {
		t.Fatalf("after a successful sync: healthy %t, waiting %s", c.Healthy(), c.Waiting())
	}

	enforcer.setFailing(true)
	h.OnNetworkPolicyAdd(allowFrom("x", "new", "b", ""))
	if err := c.sync(); err == nil {
		t.Fatal("the failing enforcer's sync succeeded")
	}
	clock = clock.Add(20 * time.Second)
	if !c.Healthy() {
		t.Fatal("unhealthy after exactly twice the sync period")
	}
	clock = clock.Add(time.Second)
	if c.Healthy() || c.Waiting() != 21*time.Second {
		t.Fatalf("21 s after the change: healthy %t, waiting %s", c.Healthy(), c.Waiting())
	}
	c.reportStuck(c.Waiting())
	wantEvents(t, recorder, 1, ReasonNotEnforced)

	enforcer.setFailing(false)
	mustSync(t, c)
	if !c.Healthy() || c.Waiting() != 0 {
		t.Fatalf("after the repair: healthy %t, waiting %s", c.Healthy(), c.Waiting())
	}
}

// TestFailingWithoutChangeIsUnhealthy: a sync that keeps failing with no
// new change (a repair that cannot apply) counts from its first failure.
func TestFailingWithoutChangeIsUnhealthy(t *testing.T) {
	enforcer := &fakeEnforcer{}
	c := New(Config{NodeName: thisNode, SyncPeriod: time.Second}, enforcer)
	clock := time.Unix(1000, 0)
	c.now = func() time.Time { return clock }
	c.store.now = c.now
	syncAll(handlersOf(c.store))
	mustSync(t, c)
	enforcer.setFailing(true)
	c.needFull = true
	_ = c.sync()
	clock = clock.Add(3 * time.Second)
	if c.Healthy() {
		t.Fatal("healthy 3 s into a failure with a 1 s sync period")
	}
}
