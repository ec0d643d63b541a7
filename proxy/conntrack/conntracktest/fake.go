// Package conntracktest holds the conntrack test double: a stateful
// conntrack table that can be told to fail or to be interrupted, as the
// kernel's is on a busy node.
package conntracktest

import (
	"sync"

	"github.com/vishvananda/netlink"

	"github.com/nodenet/nodenet/proxy/conntrack"
)

// Fake is a stateful conntrack table: it keeps entries, and
// DeleteMatching removes the ones a filter matches, as the kernel would.
// It implements conntrack.Kernel.
type Fake struct {
	mu      sync.Mutex
	entries []conntrack.Entry
	calls   [][]conntrack.Filter
	fail    map[bool]error // by family (ipv6)
	// interrupt counts, by family, the dumps still to interrupt.
	interrupt map[bool]int
	dumps     map[bool]int
}

// Add records a tracked flow.
func (f *Fake) Add(entries ...conntrack.Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, entries...)
}

// Entries returns the flows still tracked, in the order they were added.
func (f *Fake) Entries() []conntrack.Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]conntrack.Entry(nil), f.entries...)
}

// Calls returns the filters of every DeleteMatching call.
func (f *Fake) Calls() [][]conntrack.Filter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]conntrack.Filter(nil), f.calls...)
}

// Dumps says how many dumps (List or DeleteMatching) a family saw.
func (f *Fake) Dumps(ipv6 bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dumps[ipv6]
}

// Fail makes every call on the family answer err (nil: work again).
func (f *Fake) Fail(ipv6 bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail == nil {
		f.fail = map[bool]error{}
	}
	f.fail[ipv6] = err
}

// Interrupt makes the family's next n dumps see only its first entry and
// answer netlink.ErrDumpInterrupted, as netlink does when the table
// changed while it was read.
func (f *Fake) Interrupt(ipv6 bool, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.interrupt == nil {
		f.interrupt = map[bool]int{}
	}
	f.interrupt[ipv6] = n
}

// List implements conntrack.Kernel.
func (f *Fake) List(ipv6 bool) ([]conntrack.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dump(ipv6)
}

// DeleteMatching implements conntrack.Kernel.
func (f *Fake) DeleteMatching(ipv6 bool, filters []conntrack.Filter) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, filters)
	seen, err := f.dump(ipv6)
	if seen == nil {
		return 0, err
	}
	doomed := map[int]bool{}
	for i, e := range f.entries {
		if e.IPv6() == ipv6 && anyMatches(filters, e) && contains(seen, e) {
			doomed[i] = true
		}
	}
	kept := f.entries[:0]
	for i, e := range f.entries {
		if !doomed[i] {
			kept = append(kept, e)
		}
	}
	f.entries = kept
	return len(doomed), err
}

// dump returns the family's entries the dump sees and its error: nil
// entries for a failure, the first one only for an interrupted dump.
func (f *Fake) dump(ipv6 bool) ([]conntrack.Entry, error) {
	if f.dumps == nil {
		f.dumps = map[bool]int{}
	}
	f.dumps[ipv6]++
	if err := f.fail[ipv6]; err != nil {
		return nil, err
	}
	seen := []conntrack.Entry{}
	for _, e := range f.entries {
		if e.IPv6() == ipv6 {
			seen = append(seen, e)
		}
	}
	if f.interrupt[ipv6] > 0 {
		f.interrupt[ipv6]--
		return seen[:min(1, len(seen))], netlink.ErrDumpInterrupted
	}
	return seen, nil
}

func anyMatches(filters []conntrack.Filter, e conntrack.Entry) bool {
	for _, f := range filters {
		if f.Matches(e) {
			return true
		}
	}
	return false
}

func contains(entries []conntrack.Entry, e conntrack.Entry) bool {
	for _, x := range entries {
		if x == e {
			return true
		}
	}
	return false
}
