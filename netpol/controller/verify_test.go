package controller

import (
	"context"
	"testing"
	"time"

	"github.com/nodenet/nodenet/netpol"
)

// verifyingEnforcer is a fakeEnforcer whose hook can be "flushed".
type verifyingEnforcer struct {
	fakeEnforcer
	intact bool
	asked  int
}

func (v *verifyingEnforcer) Intact() (bool, error) {
	v.asked++
	return v.intact, nil
}

func TestBrokenHookIsRepairedWithinASyncPeriod(t *testing.T) {
	enforcer := &verifyingEnforcer{intact: true}
	c := New(Config{NodeName: thisNode, SyncPeriod: time.Minute}, enforcer)
	syncAll(handlersOf(c.store))
	start := time.Now()
	c.now = func() time.Time { return start }
	mustSync(t, c) // the first, full
	mustSync(t, c)
	if enforcer.asked != 0 {
		t.Fatalf("verified %d times within the sync period, want 0", enforcer.asked)
	}
	enforcer.intact = false
	c.now = func() time.Time { return start.Add(2 * time.Minute) }
	mustSync(t, c)
	if enforcer.asked != 1 || enforcer.count() != 2 || !enforcer.last(t).full {
		t.Fatalf("after a sync period with the hook gone: asked=%d calls=%d, want one check and a full second call",
			enforcer.asked, enforcer.count())
	}
}

func TestLazyForwardsIntact(t *testing.T) {
	inner := &verifyingEnforcer{intact: false}
	lazy := Lazy(func() (netpol.Enforcer, error) { return inner, nil })
	if intact, _ := lazy.(verifier).Intact(); !intact {
		t.Error("an enforcer not created yet reports broken rules")
	}
	if err := lazy.Sync(nil, true); err != nil {
		t.Fatal(err)
	}
	if intact, _ := lazy.(verifier).Intact(); intact {
		t.Error("Intact was not forwarded to the created enforcer")
	}
}

func TestRunWaitsForStartAfter(t *testing.T) {
	enforcer := &fakeEnforcer{}
	proxySynced := make(chan struct{})
	c := New(Config{NodeName: thisNode, SyncPeriod: time.Hour, StartAfter: proxySynced}, enforcer)
	syncAll(handlersOf(c.store))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	// Nothing can be polled for "has not happened": give Run a moment,
	// then check the enforcer was left alone.
	time.Sleep(200 * time.Millisecond)
	if n := enforcer.count(); n != 0 {
		t.Fatalf("%d enforcer calls before the proxy synced, want 0", n)
	}
	close(proxySynced)
	deadline := time.Now().Add(10 * time.Second)
	for enforcer.count() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no sync after StartAfter was closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// In a busy cluster nearly every sync has a pod change to apply: the hook
// must still be checked once per sync period, not only on idle syncs.
func TestBrokenHookIsRepairedUnderChurn(t *testing.T) {
	enforcer := &verifyingEnforcer{intact: true}
	c := New(Config{NodeName: thisNode, SyncPeriod: time.Minute}, enforcer)
	h := handlersOf(c.store)
	syncAll(h)
	start := time.Now()
	c.now = func() time.Time { return start }
	mustSync(t, c) // the first, full
	enforcer.intact = false
	c.now = func() time.Time { return start.Add(2 * time.Minute) }
	h.OnPodAdd(testPod("x", "churn", "node-b", "10.2.0.1", nil))
	mustSync(t, c)
	if enforcer.asked != 1 || !enforcer.last(t).full {
		t.Fatalf("a sync period later, with a change to apply and the hook gone: asked=%d full=%v, want one check and a full sync",
			enforcer.asked, enforcer.last(t).full)
	}
}
