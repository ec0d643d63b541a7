// Package runner runs a sync function when poked, with a minimum interval
// between runs, a periodic run, and a retry after a failure: the loop the
// proxier and the NetworkPolicy controller share.
package runner

import (
	"context"
	"time"
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
	now         func() time.Time
}

// New returns a runner of sync; retries wait minInterval, at least a second.
func New(sync func() error, minInterval, maxInterval time.Duration) *Runner {
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
		now:         time.Now,
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
		timer := time.NewTimer(next)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-r.poke:
			timer.Stop()
		case <-timer.C:
		}
		if wait := r.minInterval - r.now().Sub(last); wait > 0 && !last.IsZero() {
			if !sleepCtx(ctx, wait) {
				return
			}
		}
		last = r.now()
		next = r.maxInterval
		if err := r.sync(); err != nil {
			next = r.retryAfter
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
