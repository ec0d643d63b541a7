package proxy

import (
	"context"
	"time"
)

// runner calls sync when poked, never more often than minInterval, at
// least every maxInterval, and again after retryAfter when sync fails. It
// is kube-proxy's BoundedFrequencyRunner cut down to what nodenet uses.
type runner struct {
	sync        func() error
	minInterval time.Duration
	maxInterval time.Duration
	retryAfter  time.Duration
	poke        chan struct{}
	now         func() time.Time
}

func newRunner(sync func() error, minInterval, maxInterval time.Duration) *runner {
	retry := minInterval
	if retry < time.Second {
		retry = time.Second
	}
	return &runner{
		sync:        sync,
		minInterval: minInterval,
		maxInterval: maxInterval,
		retryAfter:  retry,
		poke:        make(chan struct{}, 1),
		now:         time.Now,
	}
}

// Poke asks for a sync soon; pokes that arrive while one is pending merge.
func (r *runner) Poke() {
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

// Run loops until ctx is done.
func (r *runner) Run(ctx context.Context) {
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
