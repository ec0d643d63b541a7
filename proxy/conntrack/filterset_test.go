package conntrack_test

import (
	"testing"

	"github.com/nodenet/nodenet/proxy/conntrack"
)

// TestFilterSetAgreesWithFilters: for every combination of set and unset
// fields, a FilterSet matches exactly what its filters match one by one.
func TestFilterSetAgreesWithFilters(t *testing.T) {
	var filters []conntrack.Filter
	for _, dst := range []string{"", "10.96.0.10", "fd00:96::a"} {
		for _, port := range []uint16{0, 53} {
			for _, reply := range []string{"", "10.244.1.2", "fd00:244::2"} {
				for _, v6 := range []bool{false, true} {
					f := conntrack.Filter{Protocol: udp, OrigDstPort: port, IPv6: v6}
					if dst != "" {
						f.OrigDst = a(dst)
					}
					if reply != "" {
						f.ReplySrc = a(reply)
					}
					filters = append(filters, f)
				}
			}
		}
	}
	entries := []conntrack.Entry{v4Stale, v4Keep, v6Stale, v6Keep,
		entry("10.96.0.11", 53, "10.244.1.2"), entry("10.96.0.10", 54, "10.244.1.2"),
		entry("fd00:96::b", 53, "fd00:244::2"), entry("10.96.0.10", 53, "10.96.0.10")}
	tcp := v4Stale
	tcp.Protocol = 6
	entries = append(entries, tcp)
	for _, f := range filters {
		set := conntrack.NewFilterSet([]conntrack.Filter{f})
		for _, e := range entries {
			if got, want := set.Matches(e), f.Matches(e); got != want {
				t.Errorf("filter %v on %+v: set says %v, filter %v", f, e, got, want)
			}
		}
	}
	all := conntrack.NewFilterSet(filters[:len(filters)/2])
	for _, e := range entries {
		want := false
		for _, f := range filters[:len(filters)/2] {
			want = want || f.Matches(e)
		}
		if all.Matches(e) != want {
			t.Errorf("%+v: set of %d filters says %v, want %v", e, len(filters)/2, !want, want)
		}
	}
}
