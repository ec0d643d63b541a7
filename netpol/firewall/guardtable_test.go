package firewall

import (
	"context"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/netpol"
)

// withGuard is a firewall on f with a guard table on knftables' fake.
func (f *fakes) withGuard(t *testing.T) (*Firewall, *knftables.Fake) {
	t.Helper()
	nft := knftables.NewFake(knftables.InetFamily, guardTable)
	k := f.kernels()
	k.Guard = nft
	fw, err := NewWithKernels(Options{}, k)
	if err != nil {
		t.Fatal(err)
	}
	return fw, nft
}

// TestGuardTableFollowsPolicies: while a policy exists, NODENET-FW of
// both families ends with the ranMark rule and the guard table rejects
// unmarked pod traffic of both families; with no policy neither exists
// (nothing may be rejected then).
func TestGuardTableFollowsPolicies(t *testing.T) {
	f := newFakes()
	fw, nft := f.withGuard(t)
	m := compute(t, testInput())
	mustSync(t, fw, m, false)
	for _, save := range []string{f.v4.Dump(), f.v6.Dump()} {
		var top []string
		for _, l := range strings.Split(save, "\n") {
			if strings.HasPrefix(l, "-A "+topChain+" ") {
				top = append(top, l)
			}
		}
		if len(top) == 0 || !strings.HasSuffix(top[len(top)-1], "-j MARK --set-xmark 0x1000/0x1000") {
			t.Errorf("NODENET-FW does not end with %q:\n%s", ranMarkLine, strings.Join(top, "\n"))
		}
	}
	dump := nft.Dump()
	for _, want := range []string{"hook forward priority 10", "ip saddr @pods4 counter reject", "ip6 daddr @pods6 counter reject", "meta mark & 0x1000 == 0x1000"} {
		if !strings.Contains(dump, want) {
			t.Errorf("guard table lacks %q:\n%s", want, dump)
		}
	}
	for _, cidr := range m.PodCIDRs {
		if !strings.Contains(dump, cidr.Masked().String()) {
			t.Errorf("guard sets lack the pod range %s:\n%s", cidr, dump)
		}
	}
	if what, err := fw.Tampered(); what != "" || err != nil {
		t.Fatalf("Tampered right after a sync: %q, %v", what, err)
	}

	none := compute(t, netpol.Input{NodeName: m.NodeName, NodeIPs: m.NodeIPs, PodCIDRs: m.PodCIDRs})
	mustSync(t, fw, none, false)
	if nft.Table != nil {
		t.Errorf("guard table left with no policy:\n%s", nft.Dump())
	}
	if strings.Contains(f.v4.Dump(), "0x1000/0x1000") {
		t.Error("ranMark rule left with no policy")
	}
}

// TestGuardTableTamperingSeen: a flushed guard chain, an emptied pod set
// or a deleted guard table is reported by Tampered and repaired by the
// next full sync.
func TestGuardTableTamperingSeen(t *testing.T) {
	ctx := context.Background()
	for name, tamper := range map[string]func(tx *knftables.Transaction){
		"flush chain": func(tx *knftables.Transaction) { tx.Flush(&knftables.Chain{Name: guardChain}) },
		"flush set":   func(tx *knftables.Transaction) { tx.Flush(&knftables.Set{Name: guardPods4}) },
		"delete table": func(tx *knftables.Transaction) {
			tx.Delete(&knftables.Table{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakes()
			fw, nft := f.withGuard(t)
			m := compute(t, testInput())
			mustSync(t, fw, m, false)
			want := nft.Dump()
			tx := nft.NewTransaction()
			tamper(tx)
			if err := nft.Run(ctx, tx); err != nil {
				t.Fatal(err)
			}
			what, err := fw.Tampered()
			if what == "" || err != nil {
				t.Fatalf("Tampered = %q, %v after %s", what, err, name)
			}
			mustSync(t, fw, m, true)
			if got := nft.Dump(); got != want {
				t.Errorf("not repaired:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestPodRangesNeverOverlap: local pod addresses inside a pod range are
// not added beside it (an interval set refuses overlaps).
func TestPodRangesNeverOverlap(t *testing.T) {
	m := compute(t, testInput())
	got := podRanges(m, false)
	for _, cidr := range m.PodCIDRs {
		if cidr.Addr().Is4() && !slices.Contains(got, cidr.Masked().String()) {
			t.Errorf("podRanges = %v lacks %s", got, cidr)
		}
	}
	for _, s := range got {
		if !strings.Contains(s, "/") {
			t.Errorf("podRanges = %v holds a pod address inside a range", got)
		}
	}
}
