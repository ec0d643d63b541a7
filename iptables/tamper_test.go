package iptables

import (
	"strings"
	"testing"

	"github.com/nodenet/nodenet/internal/tamper"
	"github.com/nodenet/nodenet/internal/tamper/nfwatch"
	"github.com/nodenet/nodenet/iptables/iptablestest"
)

// tamperWith applies payload to the fake as someone else would and
// records the announcement the watcher would have got.
func tamperWith(t *testing.T, b *Backend, f *iptablestest.FakeKernel, payload string, changes ...nfwatch.Change) {
	t.Helper()
	if err := f.Restore([]byte(payload)); err != nil {
		t.Fatal(err)
	}
	b.tamper.record(nfwatch.Report{Changes: changes, By: "iptables (pid 1)"})
}

// TestTamperRepairRewritesOnlyWhatChanged: each foreign change is
// repaired by one partial restore that writes only what was touched, and
// leaves the kernel as the full sync left it.
func TestTamperRepairRewritesOnlyWhatChanged(t *testing.T) {
	for _, c := range []struct {
		name      string
		payload   string
		change    nfwatch.Change
		kind      string
		mustWrite []string // in the repair's payload
		mustNot   []string
	}{
		{"shard flushed", "*nat\n:NODENET-SVC-0A - [0:0]\nCOMMIT\n",
			nfwatch.Change{Family: "ip", Table: "nat", Chain: "NODENET-SVC-0A", Verb: "rule deleted"},
			tamper.Chain, []string{":NODENET-SVC-0A"}, []string{":NODENET-SERVICES", "-I "}},
		{"dispatch flushed", "*nat\n:NODENET-SERVICES - [0:0]\nCOMMIT\n",
			nfwatch.Change{Family: "ip", Table: "nat", Chain: "NODENET-SERVICES", Verb: "rule deleted"},
			tamper.Chain, []string{":NODENET-SERVICES", ":NODENET-POSTROUTING"}, []string{":NODENET-SVC-0A"}},
		{"hook deleted", "*nat\n-D PREROUTING -m comment --comment \"nodenet service portals\" -j NODENET-SERVICES\nCOMMIT\n",
			nfwatch.Change{Family: "ip", Table: "nat", Chain: "PREROUTING", Verb: "rule deleted"},
			tamper.Hook, []string{"-I PREROUTING 1 "}, []string{"-D PREROUTING", ":NODENET-"}},
		{"ACCEPT above the hook", "*nat\n-I PREROUTING 1 -j ACCEPT\nCOMMIT\n",
			nfwatch.Change{Family: "ip", Table: "nat", Chain: "PREROUTING", Verb: "rule added"},
			tamper.Hook, []string{"-D PREROUTING ", "-I PREROUTING 1 "}, []string{":NODENET-"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, f := syncedFake(t, webTable())
			want := f.Dump()
			tamperWith(t, b, f, c.payload, c.change)
			got, err := b.TakeTampering()
			if err != nil || len(got.Kinds) != 1 || got.Kinds[0] != c.kind || len(got.Changes) != 1 {
				t.Fatalf("TakeTampering = %+v, %v; want one %s change", got, err, c.kind)
			}
			if err := b.Sync(webTable(), nil, false); err != nil {
				t.Fatal(err)
			}
			payload := f.LastPayload()
			for _, w := range c.mustWrite {
				if !strings.Contains(payload, w) {
					t.Errorf("repair lacks %q:\n%s", w, payload)
				}
			}
			for _, w := range c.mustNot {
				if strings.Contains(payload, w) {
					t.Errorf("repair writes %q, which was not touched:\n%s", w, payload)
				}
			}
			if got := withoutForeign(f.Dump()); got != want {
				t.Errorf("after the repair:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// withoutForeign drops the foreign ACCEPT a test inserted (it stays, below
// the hook).
func withoutForeign(dump string) string {
	return strings.Replace(dump, "-A PREROUTING -j ACCEPT\n", "", 1)
}

// TestTamperNextToOursNeedsNoRepair: another program's rule below the
// hooks, or a jump to its own chain above them, is no tampering; nor are
// lost announcements when the hooks are in place.
func TestTamperNextToOursNeedsNoRepair(t *testing.T) {
	b, f := syncedFake(t, webTable())
	tamperWith(t, b, f, "*nat\n:DOCKER - [0:0]\n-A PREROUTING -j ACCEPT\n-I PREROUTING 1 -j DOCKER\nCOMMIT\n",
		nfwatch.Change{Family: "ip", Table: "nat", Chain: "PREROUTING", Verb: "rule added"})
	b.tamper.record(nfwatch.Report{Lost: true})
	if got, err := b.TakeTampering(); err != nil || !got.None() {
		t.Fatalf("TakeTampering = %+v, %v; want nothing to repair", got, err)
	}
	restores := f.Restores()
	if err := b.Sync(webTable(), nil, false); err != nil {
		t.Fatal(err)
	}
	if f.Restores() != restores {
		t.Errorf("a sync with nothing to repair restored:\n%s", f.LastPayload())
	}
}

// TestWatchesOnlyOwnChains: the backend listens to its family's nat and
// filter chains, never the firewall's or another table's.
func TestWatchesOnlyOwnChains(t *testing.T) {
	b, _ := syncedFake(t, webTable())
	for _, c := range []struct {
		change nfwatch.Change
		want   bool
	}{
		{nfwatch.Change{Family: "ip", Table: "nat", Chain: "NODENET-SVC-0A"}, true},
		{nfwatch.Change{Family: "ip", Table: "filter", Chain: "NODENET-REJ-NP-0758"}, true},
		{nfwatch.Change{Family: "ip", Table: "filter", Chain: "FORWARD"}, true},
		{nfwatch.Change{Family: "ip", Table: "nat", Verb: "table deleted"}, true},
		{nfwatch.Change{Family: "ip6", Table: "nat", Chain: "NODENET-SVC-0A"}, false},
		{nfwatch.Change{Family: "ip", Table: "filter", Chain: "NODENET-FW-INGRESS"}, false},
		{nfwatch.Change{Family: "ip", Table: "nat", Chain: "DOCKER"}, false},
		{nfwatch.Change{Family: "ip", Table: "mangle", Chain: "PREROUTING"}, false},
		{nfwatch.Change{Family: "inet", Table: "nodenet", Chain: "services"}, false},
	} {
		if got := b.watches(c.change); got != c.want {
			t.Errorf("watches(%v) = %t, want %t", c.change, got, c.want)
		}
	}
}
