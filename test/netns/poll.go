package netns

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// permanent marks an error after which polling is pointless.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent wraps err so that PollUntil returns it at once (e.g. the
// daemon being waited for has exited).
func Permanent(err error) error { return permanent{err} }

// PollUntil calls cond every interval until it returns nil or timeout
// passes, and returns the last error. Tests poll a condition instead of
// sleeping for a guessed time.
func PollUntil(timeout, interval time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if errors.As(err, new(permanent)) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v: %w", timeout, err)
		}
		time.Sleep(interval)
	}
}

// Eventually is PollUntil that fails the test with what and the last error.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	if err := PollUntil(timeout, 100*time.Millisecond, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
