package iptables

import "testing"

func TestIntactNoticesAFlushedHook(t *testing.T) {
	b, f := syncedFake(t, webTable())
	if ok, err := b.Intact(); err != nil || !ok {
		t.Fatalf("right after a sync: intact %v, %v", ok, err)
	}
	h := hooks()[0]
	if err := f.DeleteRule(h.table, h.chain, h.rule...); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Intact(); err != nil || ok {
		t.Fatalf("with %s %s's hook gone: intact %v, %v", h.table, h.chain, ok, err)
	}
	if err := b.Sync(webTable(), nil, true); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Intact(); !ok {
		t.Fatal("a full sync must put the hook back")
	}
}
