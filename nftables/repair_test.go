package nftables

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/internal/tamper/nfwatch"
)

// TestTamperedObjectsRepairedAlone: someone flushing a Service chain,
// deleting or changing a map element, or deleting an unreferenced Service
// chain is undone by TakeTampering from the backend's memory, in one
// transaction naming only those objects (no full sync: no listing of the
// table), and the table is as before.
func TestTamperedObjectsRepairedAlone(t *testing.T) {
	ctx := context.Background()
	web := svcName("web")
	svcChain := serviceObject(prefixService, web)
	for _, c := range []struct {
		name    string
		tamper  func(tx *knftables.Transaction, r *recorder)
		changed nfwatch.Change
	}{
		{"flush service chain", func(tx *knftables.Transaction, _ *recorder) {
			tx.Flush(&knftables.Chain{Name: svcChain})
		}, nfwatch.Change{Chain: svcChain, Verb: "rule deleted"}},
		{"delete map element", func(tx *knftables.Transaction, _ *recorder) {
			tx.Delete(&knftables.Element{Map: mapServiceIPs, Key: []string{"10.96.0.10", "tcp", "80"}})
		}, nfwatch.Change{Set: mapServiceIPs, Verb: "element deleted"}},
		{"add map element", func(tx *knftables.Transaction, _ *recorder) {
			tx.Add(&knftables.Element{Map: mapServiceIPs, Key: []string{"10.96.9.9", "tcp", "80"}, Value: []string{"goto " + svcChain}})
		}, nfwatch.Change{Set: mapServiceIPs, Verb: "element added"}},
		{"flush fixed dispatch chain", func(tx *knftables.Transaction, _ *recorder) {
			tx.Flush(&knftables.Chain{Name: chainServices})
		}, nfwatch.Change{Chain: chainServices, Verb: "rule deleted"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, r := synced(t, webTable())
			want := r.Dump()
			tx := r.NewTransaction()
			c.tamper(tx, r)
			if err := r.Fake.Run(ctx, tx); err != nil {
				t.Fatal(err)
			}
			if r.Dump() == want {
				t.Fatal("the tampering changed nothing")
			}
			ch := c.changed
			ch.Family, ch.Table = "ip", TableName
			b.reports.add(nfwatch.Report{Changes: []nfwatch.Change{ch}, By: "nft (pid 1)"})
			before := len(r.txs)
			found, err := b.TakeTampering()
			if err != nil {
				t.Fatal(err)
			}
			if found.None() || b.st == nil {
				t.Fatalf("TakeTampering = %+v (full sync next: %t), want a targeted repair", found, b.st == nil)
			}
			if len(r.txs) != before+1 {
				t.Fatalf("%d transactions, want one repair", len(r.txs)-before)
			}
			for _, l := range strings.Split(strings.TrimSpace(r.last()), "\n") {
				if !strings.Contains(l, " "+ch.Chain+" ") && !strings.Contains(l, " "+ch.Set+" ") && !strings.HasSuffix(l, " "+ch.Chain) {
					t.Errorf("repair touches another object: %s", l)
				}
			}
			if got := r.Dump(); got != want {
				t.Errorf("not repaired:\n%s\nwant:\n%s", got, want)
			}
			// The same report again (an own transaction taken for someone
			// else's) finds everything as written.
			b.reports.add(nfwatch.Report{Changes: []nfwatch.Change{ch}, By: "nft (pid 1)"})
			if found, err := b.TakeTampering(); !found.None() || err != nil {
				t.Errorf("second TakeTampering = %+v, %v", found, err)
			}
		})
	}
}
