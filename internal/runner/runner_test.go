package runner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nodenet/nodenet/internal/runner/runnertest"
)

// parkTimeout bounds, in real time, how long a test waits for the loop to
// park on a timer; reaching it means the loop never got there.
const parkTimeout = 5 * time.Second

// syncCall is one sync, with the fake time it ran at.
type syncCall struct {
	n  int
	at time.Time
}

// startRunner runs a runner of a sync that reports each call and fails
// the calls fail says, on a fake clock, pausing minInterval after each.
func startRunner(t *testing.T, minInterval time.Duration, fail func(n int) bool) (*Runner, *runnertest.Clock, <-chan syncCall) {
	t.Helper()
	return startPaced(t, Fixed(minInterval), RetryAfter(minInterval), func(int) time.Duration { return 0 }, fail)
}

// startPaced runs a runner with pacing whose n-th sync costs cost(n) of
// fake time (the sync steps the clock, as a real one would spend it).
func startPaced(t *testing.T, pacing Pacing, retryAfter time.Duration, cost func(n int) time.Duration, fail func(n int) bool) (*Runner, *runnertest.Clock, <-chan syncCall) {
	t.Helper()
	clk := runnertest.NewClock(time.Unix(1000, 0))
	calls := make(chan syncCall, 10)
	n := 0
	r := NewPaced(func() error {
		n++
		calls <- syncCall{n, clk.Now()}
		clk.Step(cost(n))
		if fail(n) {
			return errors.New("fail")
		}
		return nil
	}, pacing, retryAfter, time.Hour, clk)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go r.Run(ctx)
	return r, clk, calls
}

func TestRunnerSyncsOnPokeAndRetriesAfterFailure(t *testing.T) {
	r, clk, calls := startRunner(t, 0, func(n int) bool { return n == 2 })
	r.Poke()
	waitCall(t, calls, 1)
	r.Poke()
	waitCall(t, calls, 2)
	// Parked on the retry timer (a second): no call before it fires.
	mustPark(t, clk, time.Second)
	assertNoCall(t, calls)
	clk.Step(time.Second)
	waitCall(t, calls, 3)
}

func TestRunnerRespectsMinInterval(t *testing.T) {
	r, clk, calls := startRunner(t, 50*time.Millisecond, func(int) bool { return false })
	r.Poke()
	first := waitCall(t, calls, 1)
	mustPark(t, clk, time.Hour) // idle until the next poke or the periodic sync
	r.Poke()
	// The poke is taken, and the loop sleeps what is left of the min
	// interval: no second sync until the clock moves past it.
	mustPark(t, clk, 50*time.Millisecond)
	assertNoCall(t, calls)
	clk.Step(50 * time.Millisecond)
	if second := waitCall(t, calls, 2); second.at.Sub(first.at) < 50*time.Millisecond {
		t.Fatalf("two syncs %v apart, want at least the 50ms min interval", second.at.Sub(first.at))
	}
}

func TestRunnerPausesMinIntervalAfterTheSyncEnds(t *testing.T) {
	// kube-proxy v1.37 counts the minimum interval from the end of a
	// run: a sync that costs 30ms is followed by the whole 50ms pause.
	r, clk, calls := startPaced(t, Fixed(50*time.Millisecond), time.Second,
		func(int) time.Duration { return 30 * time.Millisecond }, func(int) bool { return false })
	r.Poke()
	waitCall(t, calls, 1)
	r.Poke()
	mustPark(t, clk, 50*time.Millisecond)
	assertNoCall(t, calls)
	clk.Step(50 * time.Millisecond)
	waitCall(t, calls, 2)
}

func TestAdaptivePacingScalesWithTheLastSyncsCost(t *testing.T) {
	costs := []time.Duration{100 * time.Millisecond, 400 * time.Millisecond, 5 * time.Millisecond}
	r, clk, calls := startPaced(t, Adaptive(4, time.Second), time.Second,
		func(n int) time.Duration { return costs[(n-1)%len(costs)] }, func(int) bool { return false })
	r.Poke()
	waitCall(t, calls, 1) // costs 100ms
	r.Poke()
	// Four times the cost, not the 1 s ceiling.
	mustPark(t, clk, 400*time.Millisecond)
	assertNoCall(t, calls)
	clk.Step(400 * time.Millisecond)
	waitCall(t, calls, 2) // costs 400ms: 1.6 s, capped
	r.Poke()
	mustPark(t, clk, time.Second)
	assertNoCall(t, calls)
	clk.Step(time.Second)
	waitCall(t, calls, 3) // costs 5ms
	r.Poke()
	mustPark(t, clk, 20*time.Millisecond)
	assertNoCall(t, calls)
	clk.Step(20 * time.Millisecond)
	waitCall(t, calls, 4)
}

func TestAdaptivePacingRunsAtOnceAfterAQuietSpell(t *testing.T) {
	r, clk, calls := startPaced(t, Adaptive(4, time.Second), time.Second,
		func(int) time.Duration { return 100 * time.Millisecond }, func(int) bool { return false })
	r.Poke()
	waitCall(t, calls, 1)
	mustPark(t, clk, time.Hour)
	// The 400ms pause passes with nothing to do: the next change is
	// synced when it arrives, with no timer to step.
	clk.Step(400 * time.Millisecond)
	r.Poke()
	waitCall(t, calls, 2)
}

func TestRunnerSyncsPeriodically(t *testing.T) {
	_, clk, calls := startRunner(t, 0, func(int) bool { return false })
	mustPark(t, clk, time.Hour)
	assertNoCall(t, calls)
	clk.Step(time.Hour)
	waitCall(t, calls, 1)
}

func mustPark(t *testing.T, clk *runnertest.Clock, d time.Duration) {
	t.Helper()
	if err := clk.WaitForTimer(d, parkTimeout); err != nil {
		t.Fatal(err)
	}
}

// assertNoCall: the loop is parked on the fake clock, so a call now could
// only have happened before it parked.
func assertNoCall(t *testing.T, calls <-chan syncCall) {
	t.Helper()
	select {
	case c := <-calls:
		t.Fatalf("unexpected sync %d", c.n)
	default:
	}
}

func waitCall(t *testing.T, calls <-chan syncCall, want int) syncCall {
	t.Helper()
	select {
	case got := <-calls:
		if got.n != want {
			t.Fatalf("call %d, want %d", got.n, want)
		}
		return got
	case <-time.After(parkTimeout):
		t.Fatalf("call %d never came", want)
	}
	return syncCall{}
}
