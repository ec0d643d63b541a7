// Package runner runs a sync function when poked, with a pause after each
// run, a periodic run, and a retry after a failure: the loop the proxier
// and the NetworkPolicy controller share.
package runner

import (
	"context"
	"time"

	"k8s.io/utils/clock"
)

// Runner calls sync when poked, waits the pause its Pacing gives after
// each run before the next may start, runs at least every maxInterval,
// and again after retryAfter when sync fails. It is kube-proxy's
// BoundedFrequencyRunner (v1.37: the minimum interval counts from the end
// of a run, no burst) cut down to what nodenet uses, plus an adaptive
// pacing (Adaptive). Only one sync runs at a time, on the goroutine that
// calls Run.
type Runner struct {
	sync        func() error
	pacing      Pacing
	maxInterval time.Duration
	retryAfter  time.Duration
	poke        chan struct{}
	clock       clock.Clock
}

// New returns a runner of sync on the real clock that pauses minInterval
// after each run (Fixed); retries wait minInterval, at least a second.
func New(sync func() error, minInterval, maxInterval time.Duration) *Runner {
	return NewWithClock(sync, minInterval, maxInterval, clock.RealClock{})
}

// NewWithClock is New on clk. Tests pass runnertest.Clock: time then
// moves only when the test steps it, and a test can wait until the loop
// is parked on a timer of a known length to prove that nothing runs
// before it should, without sleeping.
func NewWithClock(sync func() error, minInterval, maxInterval time.Duration, clk clock.Clock) *Runner {
	return NewPaced(sync, Fixed(minInterval), RetryAfter(minInterval), maxInterval, clk)
}

// NewPaced returns a runner of sync on clk whose pause after a run is
// pacing's; a failed sync is retried after retryAfter.
func NewPaced(sync func() error, pacing Pacing, retryAfter, maxInterval time.Duration, clk clock.Clock) *Runner {
	return &Runner{
		sync:        sync,
		pacing:      pacing,
		maxInterval: maxInterval,
		retryAfter:  retryAfter,
		poke:        make(chan struct{}, 1),
		clock:       clk,
	}
}

// RetryAfter is the wait before retrying a failed sync: the minimum
// interval, at least a second, so a kernel that keeps refusing a payload
// is not hammered.
func RetryAfter(minInterval time.Duration) time.Duration {
	return max(minInterval, time.Second)
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
	var ended time.Time
	var pause time.Duration
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
		if wait := pause - r.clock.Since(ended); wait > 0 && !ended.IsZero() {
			if !SleepCtx(ctx, r.clock, wait) {
				return
			}
		}
		start := r.clock.Now()
		err := r.sync()
		ended = r.clock.Now()
		pause = r.pacing(ended.Sub(start))
		next = r.maxInterval
		if err != nil {
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
