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
// the calls fail says, on a fake clock.
func startRunner(t *testing.T, minInterval time.Duration, fail func(n int) bool) (*Runner, *runnertest.Clock, <-chan syncCall) {
	t.Helper()
	clk := runnertest.NewClock(time.Unix(1000, 0))
	calls := make(chan syncCall, 10)
	n := 0
	r := NewWithClock(func() error {
		n++
		calls <- syncCall{n, clk.Now()}
		if fail(n) {
			return errors.New("fail")
		}
		return nil
	}, minInterval, time.Hour, clk)
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
