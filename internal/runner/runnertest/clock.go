// Package runnertest holds a fake clock for the sync loops built on
// internal/runner (the proxier's, the NetworkPolicy controller's).
package runnertest

import (
	"fmt"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Clock is a clock.Clock whose time moves only when the test calls Step.
// Unlike k8s.io/utils/clock/testing's FakeClock it tells which timers are
// pending, by duration: a test that waits until a loop is parked on a
// timer of a known duration (WaitForTimer) knows where the loop is, and
// proves that nothing happens before that timer fires without sleeping.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer
	changed chan struct{} // closed and replaced whenever a timer is added
}

var _ clock.Clock = &Clock{}

// NewClock returns a clock reading start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

type timer struct {
	clock    *Clock
	duration time.Duration
	deadline time.Time
	c        chan time.Time
	pending  bool
}

// Now implements clock.PassiveClock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Since implements clock.PassiveClock.
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// NewTimer implements clock.Clock.
func (c *Clock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{clock: c, duration: d, deadline: c.now.Add(d), c: make(chan time.Time, 1), pending: true}
	c.timers = append(c.timers, t)
	close(c.changed)
	c.changed = make(chan struct{})
	return t
}

// After implements clock.Clock.
func (c *Clock) After(d time.Duration) <-chan time.Time { return c.NewTimer(d).C() }

// Sleep implements clock.Clock: it returns once Step has moved past d.
func (c *Clock) Sleep(d time.Duration) { <-c.After(d) }

// Tick implements clock.Clock; the runner never ticks.
func (c *Clock) Tick(time.Duration) <-chan time.Time {
	panic("runnertest.Clock does not tick")
}

// Step moves the time by d and fires the timers that are then due.
func (c *Clock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		if t.pending && !t.deadline.After(c.now) {
			t.pending = false
			t.c <- c.now
		}
	}
}

// WaitForTimer waits (in real time, at most timeout) until a timer of
// duration d is pending, and fails otherwise.
func (c *Clock) WaitForTimer(d, timeout time.Duration) error {
	return c.WaitForTimers(d, 1, timeout)
}

// WaitForTimers waits (in real time, at most timeout) until n timers of
// duration d are pending at once, and fails otherwise: for loops that
// share the clock and park on timers of the same length.
func (c *Clock) WaitForTimers(d time.Duration, n int, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		changed := c.changed
		found := 0
		for _, t := range c.timers {
			if t.pending && t.duration == d {
				found++
			}
		}
		c.mu.Unlock()
		if found >= n {
			return nil
		}
		select {
		case <-changed:
		case <-deadline:
			return fmt.Errorf("%d of %d timers of %v pending after %v", found, n, d, timeout)
		}
	}
}

func (t *timer) C() <-chan time.Time { return t.c }

// Stop implements clock.Timer.
func (t *timer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := t.pending
	t.pending = false
	return was
}

// Reset implements clock.Timer.
func (t *timer) Reset(d time.Duration) bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := t.pending
	t.duration, t.deadline, t.pending = d, t.clock.now.Add(d), true
	close(t.clock.changed)
	t.clock.changed = make(chan struct{})
	return was
}
