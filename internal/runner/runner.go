// Package runner runs a sync function when poked, with a minimum interval
// between runs, a periodic run, and a retry after a failure: the loop the
// proxier and the NetworkPolicy controller share.
package runner

import (
	"context"
	"time"

	"k8s.io/utils/clock"
)

// Runner calls sync when poked, never more often than minInterval, at
// least every maxInterval, and again after retryAfter when sync fails. It
// is kube-proxy's BoundedFrequencyRunner cut down to what nodenet uses.
// Only one sync runs at a time, on the goroutine that calls Run.
type Runner struct {
	sync        func() error
	minInterval time.Duration
	maxInterval time.Duration
	retryAfter  time.Duration
	poke        chan struct{}
	clock       clock.Clock
}

// New returns a runner of sync on the real clock; retries wait
// minInterval, at least a second.
func New(sync func() error, minInterval, maxInterval time.Duration) *Runner {
	return NewWithClock(sync, minInterval, maxInterval, clock.RealClock{})
}

// NewWithClock is New on clk. Tests pass k8s.io/utils/clock/testing's
// FakeClock: time then moves only when the test steps it, and a test can
// wait until the loop is parked on the clock (HasWaiters) to prove that
// nothing runs before it should, without sleeping.
func NewWithClock(sync func() error, minInterval, maxInterval time.Duration, clk clock.Clock) *Runner {
	retry := minInterval
	if retry < time.Second {
		retry = time.Second
	}
	return &Runner{
		sync:        sync,
		minInterval: minInterval,
		maxInterval: maxInterval,
		retryAfter:  retry,
		poke:        make(chan struct{}, 1),
		clock:       clk,
	}
}

// Poke asks for a sync soon; pokes that arrive while one is pending merge.
func (r *Runner) Poke() {
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

// Run loops until ctx is done.
func (r *Runner) Run(ctx context.Context) {
	var last time.Time
	next := r.maxInterval
	for {
		timer := r.clock.NewTimer(next)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-r.poke:
			timer.Stop()
		case <-timer.C():
		}
		if wait := r.minInterval - r.clock.Since(last); wait > 0 && !last.IsZero() {
			if !SleepCtx(ctx, r.clock, wait) {
				return
			}
		}
		last = r.clock.Now()
		next = r.maxInterval
		if err := r.sync(); err != nil {
			next = r.retryAfter
		}
	}
}

// SleepCtx waits d on clk; false when ctx ended first.
func SleepCtx(ctx context.Context, clk clock.Clock, d time.Duration) bool {
	t := clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}
