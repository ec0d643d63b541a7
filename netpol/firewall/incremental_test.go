package firewall

import (
	"errors"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/netpol"
)

// declared lists the chains a restore payload declares.
func declared(payload string) []string {
	var out []string
	for _, l := range strings.Split(payload, "\n") {
		if strings.HasPrefix(l, ":") {
			out = append(out, strings.Fields(l[1:])[0])
		}
	}
	sort.Strings(out)
	return out
}

// TestPartialSyncWritesOnlyTheDifference: each change costs what the
// design promises, and the result equals a fresh full sync.
func TestPartialSyncWritesOnlyTheDifference(t *testing.T) {
	podChains := regexp.MustCompile(`^NODENET-FW-[IE]-[A-Z2-7]{12}$`)
	for _, tc := range []struct {
		name         string
		change       func(in *netpol.Input)
		wantRestores int
		wantDeclared func([]string) bool // IPv4 payload's chains, when a restore is expected
		wantSetOps   bool
	}{
		{"remote pod added", func(in *netpol.Input) {
			in.Pods = append(in.Pods, pod("x", "rb2", "n2", "10.2.0.11", "app=b"))
		}, 0, nil, true},
		{"remote pod relabelled between peers", func(in *netpol.Input) {
			setLabel(in, "z", "ra", "app", "b")
		}, 0, nil, true},
		{"local pod relabelled, still not isolated", func(in *netpol.Input) {
			setLabel(in, "x", "b", "app", "open")
		}, 0, nil, true},
		{"local pod added, isolated both ways", func(in *netpol.Input) {
			in.Pods = append(in.Pods, pod("y", "c2", thisNode, "10.1.0.21", "app=c"))
		}, 1, func(chains []string) bool {
			// its two chains and both dispatch chains, nothing else
			n := 0
			for _, c := range chains {
				if podChains.MatchString(c) {
					n++
				} else if c != egressChain && c != ingressChain {
					return false
				}
			}
			return n == 2 && len(chains) == 4
		}, true},
		{"nothing changed", func(*netpol.Input) {}, 0, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakes()
			fw := f.firewall(t, Options{})
			in := testInput()
			mustSync(t, fw, compute(t, in), true)
			restores, ops := f.restores(), f.sets.Ops()
			v4Payload := f.v4.LastPayload()
			tc.change(&in)
			m := compute(t, in)
			mustSync(t, fw, m, false)
			if got := f.restores() - restores; got != tc.wantRestores {
				t.Fatalf("restores = %d, want %d; last IPv4 payload:\n%s", got, tc.wantRestores, f.v4.LastPayload())
			}
			if tc.wantDeclared != nil && f.v4.LastPayload() != v4Payload {
				if got := declared(f.v4.LastPayload()); !tc.wantDeclared(got) {
					t.Fatalf("IPv4 restore declared %v", got)
				}
			}
			if changed := f.sets.Ops() != ops; changed != tc.wantSetOps {
				t.Fatalf("set ops changed = %t, want %t (%+v -> %+v)", changed, tc.wantSetOps, ops, f.sets.Ops())
			}
			sameAsFreshSync(t, f, m)
		})
	}
}

// sameAsFreshSync checks that f holds what a full sync into empty fakes
// writes for m.
func sameAsFreshSync(t *testing.T, f *fakes, m *netpol.Model) {
	t.Helper()
	fresh := newFakes()
	mustSync(t, fresh.firewall(t, Options{}), m, true)
	if got, want := f.dump(), fresh.dump(); got != want {
		t.Fatalf("after partial sync:\n%s\nfresh full sync:\n%s", got, want)
	}
}

// TestFailedRestoreMakesNextSyncFull: after a failed apply the firewall
// forgets what it knew, so the next sync rewrites every chain.
func TestFailedRestoreMakesNextSyncFull(t *testing.T) {
	f := newFakes()
	fw := f.firewall(t, Options{})
	in := testInput()
	mustSync(t, fw, compute(t, in), false)
	in.Pods = append(in.Pods, pod("y", "c2", thisNode, "10.1.0.21", "app=c"))
	m := compute(t, in)
	f.v4.FailNextRestore(errors.New("xtables lock"))
	if err := fw.Sync(m, false); err == nil {
		t.Fatal("Sync succeeded despite a failed restore")
	}
	mustSync(t, fw, m, false)
	chains := declared(f.v4.LastPayload())
	if len(chains) != len(ownChainsOf(t, f)) {
		t.Fatalf("sync after failure declared %v, want every chain (full)", chains)
	}
	sameAsFreshSync(t, f, m)
}

// TestFailedSetOpMakesNextSyncFull: same for a netlink failure.
func TestFailedSetOpMakesNextSyncFull(t *testing.T) {
	f := newFakes()
	fw := f.firewall(t, Options{})
	in := testInput()
	mustSync(t, fw, compute(t, in), false)
	in.Pods = append(in.Pods, pod("x", "rb2", "n2", "10.2.0.11", "app=b"))
	m := compute(t, in)
	f.sets.FailNext(errors.New("ENOBUFS"))
	if err := fw.Sync(m, false); err == nil {
		t.Fatal("Sync succeeded despite a failed set operation")
	}
	restores := f.restores()
	mustSync(t, fw, m, false)
	if f.restores() != restores+2 {
		t.Fatalf("sync after failure ran %d restores, want 2 (full, both families)", f.restores()-restores)
	}
	sameAsFreshSync(t, f, m)
}

func ownChainsOf(t *testing.T, f *fakes) []string {
	t.Helper()
	chains, err := ownChains(f.v4)
	if err != nil {
		t.Fatal(err)
	}
	return chains
}

// TestFullSyncRemovesLeftovers: chains and sets of ours that the model no
// longer needs (left by an earlier agent) go; others' stay.
func TestFullSyncRemovesLeftovers(t *testing.T) {
	f := newFakes()
	mustSync(t, f.firewall(t, Options{}), compute(t, testInput()), false)
	// A new agent, whose model has no policies left.
	in := testInput()
	in.Policies = nil
	if err := f.sets.CreateSet("other-set", SetOfAddrs, false); err != nil {
		t.Fatal(err)
	}
	mustRestore(t, f, "*filter", ":OTHER - [0:0]", "-A FORWARD -j OTHER", "COMMIT")
	m := compute(t, in)
	mustSync(t, f.firewall(t, Options{}), m, false)
	dump := f.dump()
	for _, want := range []string{":OTHER", "-A FORWARD -j OTHER", "other-set"} {
		if !strings.Contains(dump, want) {
			t.Errorf("full sync removed %q, not ours", want)
		}
	}
	if strings.Contains(dump, "NODENET-FW-I-") || strings.Contains(dump, "NNP-FW-KNOWN hash:ip inet: 10.0.0.1/32 10.1") == false {
		t.Errorf("leftover pod chains, or known set not reconciled:\n%s", dump)
	}
	if n := strings.Count(dump, "NNP-"); n != 2 {
		t.Errorf("want only the two known sets left, got %d NNP- mentions:\n%s", n, dump)
	}
}

func mustRestore(t *testing.T, f *fakes, lines ...string) {
	t.Helper()
	if err := f.v4.Restore([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		t.Fatal(err)
	}
}
