package firewall

import (
	"testing"

	"github.com/nodenet/nodenet/iptables"
)

// TestLegacyChangeCheckedThenRebaselined: a changed legacy filter table
// is reported by LegacyChanged; when Tampered finds the applied chains
// intact (the proxy wrote filter), its figures become the baseline and
// the change is reported no more.
func TestLegacyChangeCheckedThenRebaselined(t *testing.T) {
	f := newFakes()
	table := iptables.LegacyTable{Entries: 10, Size: 1000}
	k := f.kernels()
	k.LegacyFilter = map[bool]LegacyFilter{false: func() (iptables.LegacyTable, error) { return table, nil }}
	fw, err := NewWithKernels(Options{}, k)
	if err != nil {
		t.Fatal(err)
	}
	if what := fw.LegacyChanged(); what != "" {
		t.Fatalf("LegacyChanged before any sync = %q", what)
	}
	mustSync(t, fw, compute(t, testInput()), false)
	if what := fw.LegacyChanged(); what != "" {
		t.Fatalf("LegacyChanged right after a sync = %q", what)
	}
	table.Entries++
	if what := fw.LegacyChanged(); what == "" {
		t.Fatal("a changed legacy filter table is not reported")
	}
	if what, err := fw.Tampered(); what != "" || err != nil {
		t.Fatalf("Tampered = %q, %v with the applied chains intact", what, err)
	}
	if what := fw.LegacyChanged(); what != "" {
		t.Fatalf("LegacyChanged after Tampered found nothing = %q", what)
	}
}
