package conntrack

import "net/netip"

// FilterSet matches an entry against many filters at once, with at most
// eight map lookups whatever their number. netlink's own filters are
// tried one after the other for every entry of the dump: 10k filters
// (a reconcile after a restart that missed many changes) over a table of
// 100k entries took ~150 s; a FilterSet takes a fraction of a second
// (BENCHMARKS.md).
type FilterSet struct {
	keys map[filterKey]bool
}

// filterKey is a Filter with its family made explicit; unset fields stay
// zero and match anything.
type filterKey struct {
	protocol    uint8
	origDst     netip.Addr
	origDstPort uint16
	replySrc    netip.Addr
	ipv6        bool
}

// NewFilterSet indexes filters.
func NewFilterSet(filters []Filter) FilterSet {
	s := FilterSet{keys: make(map[filterKey]bool, len(filters))}
	for _, f := range filters {
		s.keys[filterKey{f.Protocol, f.OrigDst, f.OrigDstPort, f.ReplySrc, f.is6()}] = true
	}
	return s
}

// Matches tells whether any filter of s matches e (Filter.Matches).
func (s FilterSet) Matches(e Entry) bool {
	for _, dst := range [2]netip.Addr{e.OrigDst, {}} {
		for _, port := range [2]uint16{e.OrigDstPort, 0} {
			for _, reply := range [2]netip.Addr{e.ReplySrc, {}} {
				if s.keys[filterKey{e.Protocol, dst, port, reply, e.IPv6()}] {
					return true
				}
			}
		}
	}
	return false
}
