// Package netlinkdump retries netlink dumps the kernel interrupted.
//
// A dump (a list of links, addresses, ipsets, conntrack entries...) comes
// in several messages; when the table changes between two of them the
// kernel flags the reply NLM_F_DUMP_INTR. vishvananda/netlink (since
// v1.2.1) then returns what it read together with ErrDumpInterrupted:
// the data may miss entries or hold some twice. On a busy node (a
// conntrack table with churn, pods coming and going) that is common, and
// an immediate retry nearly always gets a consistent dump.
package netlinkdump

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
)

// Attempts is how many times Retry runs a dump before giving up.
const Attempts = 5

// Retry runs dump until it answers anything but ErrDumpInterrupted, at
// most Attempts times. When every attempt was interrupted it returns the
// last attempt's (possibly incomplete) data with an error that still
// matches ErrDumpInterrupted, so a caller for which partial data is
// useful (each entry read is a real one) can use it, and others fail.
func Retry[T any](dump func() (T, error)) (T, error) {
	var (
		v   T
		err error
	)
	for range Attempts {
		v, err = dump()
		if !Interrupted(err) {
			return v, err
		}
	}
	return v, fmt.Errorf("netlink dump interrupted %d times in a row: %w", Attempts, err)
}

// Interrupted tells whether err is (or wraps) netlink's ErrDumpInterrupted.
func Interrupted(err error) bool { return errors.Is(err, netlink.ErrDumpInterrupted) }
