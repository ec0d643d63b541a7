package firewall

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/netpol"
)

// TestFlushedChainsFailClosed: someone else flushing a dispatch chain, a
// pod chain, or emptying a guard set, in either family, must not let
// through any probe the Model denies (allowed ones may be rejected until
// the repair). Before the guard, a flushed NODENET-FW-INGRESS opened
// every pod isolated for ingress.
func TestFlushedChainsFailClosed(t *testing.T) {
	m := compute(t, testInput())
	var podChains []string
	for _, pod := range m.SortedLocalPods() {
		for _, d := range []netpol.Direction{netpol.Ingress, netpol.Egress} {
			if pod.Direction(d).Isolated {
				podChains = append(podChains, podChain(pod.Pod, d))
			}
		}
	}
	if len(podChains) < 2 {
		t.Fatalf("test model isolates too few pods: %v", podChains)
	}
	for _, chain := range append([]string{ingressChain, egressChain}, podChains...) {
		t.Run(chain, func(t *testing.T) {
			f := newFakes()
			mustSync(t, f.firewall(t, Options{}), m, false)
			for _, k := range []*iptablestest.FakeKernel{f.v4, f.v6} {
				if err := k.Restore([]byte("*filter\n:" + chain + " - [0:0]\nCOMMIT\n")); err != nil {
					t.Fatal(err)
				}
			}
			checkNoneWidened(t, f, m)
		})
	}
	t.Run("guard sets emptied", func(t *testing.T) {
		f := newFakes()
		mustSync(t, f.firewall(t, Options{}), m, false)
		sets, err := f.sets.ListSets()
		if err != nil {
			t.Fatal(err)
		}
		emptied := 0
		for _, s := range sets {
			if !strings.HasPrefix(s.Name, "NNP-FW-ISO-") {
				continue
			}
			for _, member := range s.Members {
				if err := f.sets.DelMember(s.Name, member); err != nil {
					t.Fatal(err)
				}
				emptied++
			}
		}
		if emptied == 0 {
			t.Fatal("no guard set had members")
		}
		checkNoneWidened(t, f, m)
	})
}

// checkNoneWidened traces every probe: none the Model denies may pass.
func checkNoneWidened(t *testing.T, f *fakes, m *netpol.Model) {
	t.Helper()
	denied := 0
	eachProbe(func(src, dst netip.Addr, port int, proto v1.Protocol) {
		if want, _ := expectedVerdict(m, src, dst, port, proto); want == iptablestest.Accept {
			return
		}
		denied++
		if got := trace(t, f, src, dst, port, proto); got == iptablestest.Accept {
			t.Errorf("%s %s -> %s:%d passes, the Model denies it", proto, src, dst, port)
		}
	})
	if denied < 50 {
		t.Fatalf("only %d denied probes: proves nothing", denied)
	}
}
