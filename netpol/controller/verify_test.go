package controller

import (
	"context"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/nodenet/nodenet/internal/runner/runnertest"
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

// clockedEnforcer records the fake time of each Sync: the witness that
// nothing was enforced before the test moved the clock.
type clockedEnforcer struct {
	fakeEnforcer
	clock *runnertest.Clock
	mu    sync.Mutex
	at    []time.Time
}

func (e *clockedEnforcer) Sync(m *netpol.Model, full bool) error {
	e.mu.Lock()
	e.at = append(e.at, e.clock.Now())
	e.mu.Unlock()
	return e.fakeEnforcer.Sync(m, full)
}

// firstSyncAt waits (real time, bounded) for the first Sync and returns
// the fake time it ran at.
func (e *clockedEnforcer) firstSyncAt(t *testing.T) time.Time {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		return e.count() > 0, nil
	})
	if err != nil {
		t.Fatal("no sync came")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.at[0]
}

// startGated runs a synced controller gated by proxySynced on a fake
// clock, and waits until it is parked on the gate's time limit.
func startGated(t *testing.T, proxySynced chan struct{}) (*clockedEnforcer, *runnertest.Clock, time.Time) {
	t.Helper()
	start := time.Unix(1000, 0)
	clk := runnertest.NewClock(start)
	enforcer := &clockedEnforcer{clock: clk}
	c := New(Config{NodeName: thisNode, SyncPeriod: time.Hour, StartAfter: proxySynced, Clock: clk}, enforcer)
	syncAll(handlersOf(c.store))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go c.Run(ctx)
	if err := clk.WaitForTimer(time.Hour, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	return enforcer, clk, start
}

// Nothing is enforced before the proxy's first sync: time moves (on the
// fake clock, short of the limit) with the gate closed and no sync runs;
// the first one runs at the fake time the gate opened.
func TestRunWaitsForStartAfter(t *testing.T) {
	proxySynced := make(chan struct{})
	enforcer, clk, start := startGated(t, proxySynced)
	clk.Step(30 * time.Minute)
	if n := enforcer.count(); n != 0 {
		t.Fatalf("%d enforcer calls before the proxy synced, want 0", n)
	}
	close(proxySynced)
	if at := enforcer.firstSyncAt(t); !at.Equal(start.Add(30 * time.Minute)) {
		t.Fatalf("first sync at %v, want when the proxy synced (%v)", at.Sub(start), 30*time.Minute)
	}
}

// A proxy that never syncs keeps the firewall off for one sync period, no
// longer.
func TestRunStartsAfterASyncPeriodAnyway(t *testing.T) {
	enforcer, clk, start := startGated(t, make(chan struct{}))
	clk.Step(time.Hour)
	if at := enforcer.firstSyncAt(t); !at.Equal(start.Add(time.Hour)) {
		t.Fatalf("first sync at %v, want after the sync period (1h)", at.Sub(start))
	}
}
