package firewall

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/netpol/firewall/firewalltest"
	"github.com/nodenet/nodenet/test/objects"
)

// TestFailedRestoreKeepsNewPodGated: a local pod new to the model must
// stay behind the unknown-pod gate until its chains exist. Were it made
// known first and the restore then failed, nothing would filter it (no
// chain, no gate) until a sync succeeded.
func TestFailedRestoreKeepsNewPodGated(t *testing.T) {
	f := newFakes()
	fw := f.firewall(t, Options{})
	in := testInput()
	mustSync(t, fw, compute(t, in), false)
	// y/c2 is isolated both ways by y/deny-all; remote x/rb is no peer of it.
	in.Pods = append(in.Pods, pod("y", "c2", thisNode, "10.1.0.21", "app=c"))
	f.v4.FailNextRestore(errors.New("xtables lock"))
	if err := fw.Sync(compute(t, in), false); err == nil {
		t.Fatal("Sync succeeded despite a failed restore")
	}
	if got := trace(t, f, addr("10.2.0.10"), addr("10.1.0.21"), 80, protoTCP); got != iptablestest.Reject {
		t.Fatalf("10.2.0.10 -> new pod 10.1.0.21:80 after a failed sync: %s, want Reject", got)
	}
}

// failingDel wraps the set fake and fails deletions from one set.
type failingDel struct {
	*firewalltest.FakeSets
	set string
}

func (s failingDel) DelMember(name string, member netip.Prefix) error {
	if name == s.set {
		return errors.New("ENOBUFS")
	}
	return s.FakeSets.DelMember(name, member)
}

// TestFailedGateDelKeepsDeletedPodGated: a local pod that leaves the
// model loses its chains; its address must leave the known set no later,
// or a failed set operation leaves that address (soon another pod's)
// unfiltered.
func TestFailedGateDelKeepsDeletedPodGated(t *testing.T) {
	f := newFakes()
	k := f.kernels()
	k.Sets = failingDel{f.sets, knownSet}
	fw, err := NewWithKernels(Options{}, k)
	if err != nil {
		t.Fatal(err)
	}
	in := testInput()
	mustSync(t, fw, compute(t, in), false)
	deletePod(&in, "y", "c") // isolated both ways by y/deny-all
	if err := fw.Sync(compute(t, in), false); err == nil {
		t.Fatal("Sync succeeded despite a failed set operation")
	}
	if got := trace(t, f, addr("10.2.0.10"), addr("10.1.0.20"), 80, protoTCP); got != iptablestest.Reject {
		t.Fatalf("10.2.0.10 -> deleted pod's 10.1.0.20:80 after a failed sync: %s, want Reject", got)
	}
}

// TestLinkLocalGated: pods also have fe80:: addresses, which no pod chain
// dispatches on; while a policy exists, traffic to them is rejected like
// traffic to an unknown pod (neighbour discovery has returned before).
func TestLinkLocalGated(t *testing.T) {
	for _, policies := range []bool{true, false} {
		f := newFakes()
		in := testInput()
		if !policies {
			in.Policies = nil
		}
		mustSync(t, f.firewall(t, Options{}), compute(t, in), false)
		want := iptablestest.Accept
		if policies {
			want = iptablestest.Reject
		}
		for _, p := range [][2]string{{"fe80::1", "fe80::2"}, {"fd01::10", "fe80::2"}, {"fe80::1", "fd01::10"}} {
			if got := trace(t, f, addr(p[0]), addr(p[1]), 80, protoTCP); got != want {
				t.Errorf("policies %t: %s -> %s:80 %s, want %s", policies, p[0], p[1], got, want)
			}
		}
	}
}

// TestForeignSetWithOurPrefixIsLeftAlone: "NNP-" is a short prefix;
// another tool's set that merely starts with it is not ours to destroy,
// and destroying it while its rule uses it would fail every full sync.
func TestForeignSetWithOurPrefixIsLeftAlone(t *testing.T) {
	f := newFakes()
	if err := f.sets.CreateSet("NNP-blocklist", SetOfNets, false); err != nil {
		t.Fatal(err)
	}
	mustRestore(t, f, "*filter", "-A FORWARD -m set --match-set NNP-blocklist src -j DROP", "COMMIT")
	mustSync(t, f.firewall(t, Options{}), compute(t, testInput()), true)
	if !f.sets.HasSet("NNP-blocklist") {
		t.Fatal("a full sync destroyed another tool's set NNP-blocklist")
	}
	mustRestore(t, f, "*filter", "-D FORWARD -m set --match-set NNP-blocklist src -j DROP", "COMMIT")
	if err := CleanupKernels(f.kernels()); err != nil {
		t.Fatal(err)
	}
	if !f.sets.HasSet("NNP-blocklist") {
		t.Fatal("cleanup destroyed another tool's set NNP-blocklist")
	}
}

// TestFailedRestoreAllowsNoMoreThanEitherModel: one edit changes both the
// pods a rule allows and its port. Whatever step of the sync fails, the
// kernel must not allow what neither the old nor the new model allows;
// were the new peer added to the set before the restore (which then
// fails), it would reach the old port.
func TestFailedRestoreAllowsNoMoreThanEitherModel(t *testing.T) {
	f := newFakes()
	fw := f.firewall(t, Options{})
	in := testInput()
	mustSync(t, fw, compute(t, in), false)
	// x/allow-b-to-a: from app=b on 80 and 8000-8100 becomes from app=open on 443.
	rule := &in.Policies[0].Spec.Ingress[0]
	rule.From[0].PodSelector = objects.Selector("app=open")
	rule.Ports = rule.Ports[:1]
	rule.Ports[0] = objects.PortNum(protoTCP, 443)
	f.v4.FailNextRestore(errors.New("xtables lock"))
	if err := fw.Sync(compute(t, in), false); err == nil {
		t.Fatal("Sync succeeded despite a failed restore")
	}
	if got := trace(t, f, addr("10.1.0.30"), addr("10.1.0.10"), 80, protoTCP); got != iptablestest.Reject {
		t.Fatalf("x/open -> x/a:80, allowed by neither model, after a failed sync: %s, want Reject", got)
	}
}
