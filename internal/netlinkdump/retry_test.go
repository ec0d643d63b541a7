package netlinkdump

import (
	"errors"
	"fmt"
	"testing"

	"github.com/vishvananda/netlink"
)

// dumps answers the results in order, one per call, and counts the calls.
type dumps struct {
	errs  []error
	calls int
}

func (d *dumps) dump() (int, error) {
	i := d.calls
	d.calls++
	return i, d.errs[min(i, len(d.errs)-1)]
}

func TestRetryUntilConsistent(t *testing.T) {
	d := &dumps{errs: []error{netlink.ErrDumpInterrupted, fmt.Errorf("list: %w", netlink.ErrDumpInterrupted), nil}}
	v, err := Retry(d.dump)
	if err != nil || v != 2 || d.calls != 3 {
		t.Fatalf("got %d, %v after %d calls; want the third dump's data, no error", v, err, d.calls)
	}
}

func TestRetryGivesUpWithTheLastData(t *testing.T) {
	d := &dumps{errs: []error{netlink.ErrDumpInterrupted}}
	v, err := Retry(d.dump)
	if d.calls != Attempts {
		t.Fatalf("%d calls, want %d", d.calls, Attempts)
	}
	if !Interrupted(err) || v != Attempts-1 {
		t.Fatalf("got %d, %v; want the last attempt's data and an interrupted error", v, err)
	}
}

func TestRetryLeavesOtherErrorsAlone(t *testing.T) {
	boom := errors.New("EPERM")
	d := &dumps{errs: []error{boom, nil}}
	if _, err := Retry(d.dump); !errors.Is(err, boom) || d.calls != 1 {
		t.Fatalf("got %v after %d calls; want the error at once", err, d.calls)
	}
}
