package runner

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRunnerSyncsOnPokeAndRetriesAfterFailure(t *testing.T) {
	calls := make(chan int, 10)
	n := 0
	r := New(func() error {
		n++
		calls <- n
		if n == 2 {
			return errors.New("fail once")
		}
		return nil
	}, 0, time.Hour)
	r.retryAfter = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	r.Poke()
	waitCall(t, calls, 1)
	r.Poke()
	waitCall(t, calls, 2)
	// No poke: only the retry after the failure can cause this call.
	waitCall(t, calls, 3)
}

func TestRunnerRespectsMinInterval(t *testing.T) {
	times := make(chan time.Time, 10)
	r := New(func() error { times <- time.Now(); return nil }, 50*time.Millisecond, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	r.Poke()
	first := <-times
	r.Poke()
	second := <-times
	if gap := second.Sub(first); gap < 50*time.Millisecond {
		t.Fatalf("two syncs %v apart, want at least the 50ms min interval", gap)
	}
}

func waitCall(t *testing.T, calls <-chan int, want int) {
	t.Helper()
	select {
	case got := <-calls:
		if got != want {
			t.Fatalf("call %d, want %d", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("call %d never came", want)
	}
}
