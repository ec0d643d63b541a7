package firewall

import (
	"fmt"
	"sort"
	"sync/atomic"

	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/iptables"
)

// iptables-legacy announces nothing (its tables are x_tables blobs the
// kernel swaps whole, no nf_tables transaction), so WatchTampering never
// hears of a flushed NODENET-FW there. What the kernel does keep is each
// table's entry count and size (IPT_SO_GET_INFO: one getsockopt, no exec,
// no copy of the rules), which any added, deleted or flushed rule
// changes. The controller asks LegacyChanged twice a second; a difference
// from what the firewall last saw is handled like a change notification:
// the sync runs Tampered (iptables-save against what was applied), which
// repairs only what differs. The proxy's own syncs change the filter
// table too (its FORWARD chains); Tampered then finds nothing and takes
// the new figures as the baseline, so each costs one iptables-save.

// LegacyFilter reads one family's legacy filter table (IPv6 when the key
// is true); Kernels holds one per family whose iptables is legacy.
type LegacyFilter func() (iptables.LegacyTable, error)

// legacyFilters returns a reader for each usable family whose iptables
// is iptables-legacy.
func legacyFilters(k Kernels) map[bool]LegacyFilter {
	out := map[bool]LegacyFilter{}
	for _, fam := range k.families() {
		ipFamily := ipFamilyOf(fam.ipv6)
		if iptables.IsLegacy(ipFamily) {
			out[fam.ipv6] = func() (iptables.LegacyTable, error) { return iptables.ReadLegacyTable(ipFamily, filterTable) }
		}
	}
	return out
}

// legacySeen is, per legacy family, the filter table as the firewall last
// knew it to hold its applied rules (nil: unknown, nothing compared).
type legacySeen map[bool]*atomic.Pointer[iptables.LegacyTable]

func newLegacySeen(readers map[bool]LegacyFilter) legacySeen {
	seen := legacySeen{}
	for ipv6 := range readers {
		seen[ipv6] = &atomic.Pointer[iptables.LegacyTable]{}
		klog.InfoS("iptables-legacy: no change notifications; checking the filter table twice a second", "family", ipFamilyOf(ipv6))
	}
	return seen
}

// readLegacy reads every legacy family's filter table now (nil entries
// where a read failed).
func (f *Firewall) readLegacy() map[bool]*iptables.LegacyTable {
	now := map[bool]*iptables.LegacyTable{}
	for ipv6, read := range f.kernels.LegacyFilter {
		if t, err := read(); err == nil {
			now[ipv6] = &t
		}
	}
	return now
}

// rememberLegacy takes now as the tables that hold what was applied (nil:
// forget).
func (f *Firewall) rememberLegacy(now map[bool]*iptables.LegacyTable) {
	for ipv6, p := range f.legacy {
		p.Store(now[ipv6])
	}
}

// LegacyChanged tells which legacy filter table differs from what the
// firewall last saw ("" when none, or none is legacy). Safe beside Sync:
// a difference only asks the sync to check (Tampered).
func (f *Firewall) LegacyChanged() string {
	fams := make([]bool, 0, len(f.legacy))
	for ipv6 := range f.legacy {
		fams = append(fams, ipv6)
	}
	sort.Slice(fams, func(i, j int) bool { return !fams[i] && fams[j] })
	for _, ipv6 := range fams {
		want := f.legacy[ipv6].Load()
		if want == nil {
			continue
		}
		got, err := f.kernels.LegacyFilter[ipv6]()
		if err == nil && got != *want {
			return fmt.Sprintf("%s legacy filter table changed: %d entries (%d bytes), %d (%d bytes) were left",
				ipFamilyOf(ipv6), got.Entries, got.Size, want.Entries, want.Size)
		}
	}
	return ""
}
