package iptables

import (
	"maps"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/component-base/metrics"

	"github.com/nodenet/nodenet/iptables/iptablestest"
)

// NODENET-FORWARD drops INVALID packets first and counts them into
// kube-proxy's nfacct counter, which the full sync created (with the
// localhost one) before the rule naming it.
func TestInvalidDropCountsIntoNfacct(t *testing.T) {
	_, f := syncedFake(t, webTable())
	rules, err := f.ListRules(tableFilter, filterForward)
	if err != nil {
		t.Fatal(err)
	}
	// Two spaces, as iptables -S prints it.
	want := "-A NODENET-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP"
	if len(rules) < 2 || rules[1] != want { // rules[0]: the chain's -N
		t.Fatalf("NODENET-FORWARD = %q, want %q first", rules, want)
	}
	for _, name := range []string{ctInvalidCounter, localhostNodePortsCounter} {
		if _, err := f.Packets(name); err != nil {
			t.Errorf("counter %s: %v", name, err)
		}
	}
}

// kernelWithoutAcct is a kernel with no nfacct (no nfnetlink_acct).
type kernelWithoutAcct struct{ Kernel }

// Without nfacct the drop stays, uncounted, and the sync succeeds.
func TestInvalidDropWithoutNfacct(t *testing.T) {
	f := iptablestest.NewFakeKernel(v1.IPv4Protocol)
	b, err := NewWithKernel(Options{Family: v1.IPv4Protocol, MasqueradeBit: 14}, kernelWithoutAcct{f})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(webTable(), nil, true); err != nil {
		t.Fatal(err)
	}
	rules, _ := f.ListRules(tableFilter, filterForward)
	if want := "-A NODENET-FORWARD -m conntrack --ctstate INVALID -j DROP"; len(rules) < 2 || rules[1] != want {
		t.Errorf("NODENET-FORWARD = %q, want %q first", rules, want)
	}
}

func TestAcctCollectorReportsTheCounters(t *testing.T) {
	f := iptablestest.NewFakeKernel(v1.IPv4Protocol)
	// No counters yet: no series.
	if got := collectAcct(t, f); len(got) != 0 {
		t.Errorf("before the counters exist: %v, want no series", got)
	}
	for _, name := range []string{ctInvalidCounter, localhostNodePortsCounter} {
		if err := f.Ensure(name); err != nil {
			t.Fatal(err)
		}
	}
	f.CountPackets(ctInvalidCounter, 7)
	want := map[string]float64{
		"kubeproxy_iptables_ct_state_invalid_dropped_packets_total":     7,
		"kubeproxy_iptables_localhost_nodeports_accepted_packets_total": 0,
	}
	if got := collectAcct(t, f); !maps.Equal(got, want) {
		t.Errorf("counters = %v, want %v", got, want)
	}
}

// collectAcct gathers an acctCollector of acct from a registry of its
// own: the counter families' values, each checked to be a counter.
func collectAcct(t *testing.T, acct Accounting) map[string]float64 {
	t.Helper()
	reg := metrics.NewKubeRegistry()
	reg.CustomMustRegister(&acctCollector{acct: acct})
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			if m.GetCounter() == nil {
				t.Errorf("%s is not a counter", f.GetName())
			}
			out[f.GetName()] += m.GetCounter().GetValue()
		}
	}
	return out
}
