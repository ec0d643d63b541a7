package conntrack

import (
	"errors"
	"fmt"

	"github.com/nodenet/nodenet/internal/netlinkdump"
)

// Cleaner deletes entries through a Kernel so that one failure stops
// nothing else: every family is attempted whatever the other answered,
// interrupted dumps are retried (netlinkdump.Retry), and the filters that
// could not be applied are handed back for the caller to try again.
type Cleaner struct{ Kernel Kernel }

// Delete deletes the entries any filter matches. failed holds the filters
// of each family whose deletion did not complete; err says why.
func (c Cleaner) Delete(filters []Filter) (deleted int, failed []Filter, err error) {
	var errs []error
	for _, ipv6 := range families {
		fs := filtersOfFamily(filters, ipv6)
		if len(fs) == 0 {
			continue
		}
		n, err := c.deleteFamily(ipv6, fs)
		deleted += n
		if err != nil {
			failed = append(failed, fs...)
			errs = append(errs, fmt.Errorf("delete %s conntrack entries: %w", familyName(ipv6), err))
		}
	}
	return deleted, failed, errors.Join(errs...)
}

// deleteFamily counts what every attempt deleted: an interrupted dump
// still deleted the entries it read.
func (c Cleaner) deleteFamily(ipv6 bool, filters []Filter) (int, error) {
	total := 0
	_, err := netlinkdump.Retry(func() (int, error) {
		n, err := c.Kernel.DeleteMatching(ipv6, filters)
		total += n
		return n, err
	})
	return total, err
}

// list reads a family's entries. After Attempts interrupted dumps it
// returns the last one's entries with the error: each of them is a real
// entry, which is all the reconciler needs.
func (c Cleaner) list(ipv6 bool) ([]Entry, error) {
	return netlinkdump.Retry(func() ([]Entry, error) { return c.Kernel.List(ipv6) })
}

// families: IPv4 (false), then IPv6 (true).
var families = []bool{false, true}

func familyName(ipv6 bool) string {
	if ipv6 {
		return "IPv6"
	}
	return "IPv4"
}

func filtersOfFamily(filters []Filter, ipv6 bool) []Filter {
	var out []Filter
	for _, f := range filters {
		if f.is6() == ipv6 {
			out = append(out, f)
		}
	}
	return out
}
