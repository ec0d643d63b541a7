package conntrack

import "sync"

// Fake is a stateful conntrack table for tests: it keeps entries, and
// Delete removes the ones a filter matches, as the kernel would.
type Fake struct {
	mu      sync.Mutex
	entries []Entry
	calls   [][]Filter
}

// Add records a tracked flow.
func (f *Fake) Add(e Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, e)
}

// Entries returns the flows still tracked.
func (f *Fake) Entries() []Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Entry(nil), f.entries...)
}

// Calls returns the filters of every Delete call.
func (f *Fake) Calls() [][]Filter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]Filter(nil), f.calls...)
}

// Delete implements Table.
func (f *Fake) Delete(filters []Filter) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, filters)
	kept := f.entries[:0]
	for _, e := range f.entries {
		if !anyMatches(filters, e) {
			kept = append(kept, e)
		}
	}
	deleted := len(f.entries) - len(kept)
	f.entries = kept
	return deleted, nil
}

func anyMatches(filters []Filter, e Entry) bool {
	for _, f := range filters {
		if f.Matches(e) {
			return true
		}
	}
	return false
}
