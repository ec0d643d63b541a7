package iptables

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/proxy"
)

// The total the backend reports equals the rules in nodenet's chains of
// the fake kernel, after a full sync and after partial syncs that add a
// shard, drop a hairpin rule and empty a shard.
func TestRuleCountsMatchTheKernel(t *testing.T) {
	table := webTable()
	web, empty, other := svcName("web"), svcName("empty"), svcName("other")
	table.Endpoints[web][0].IsLocal = true // a hairpin rule
	b, f := syncedFake(t, table)
	checkRuleCounts(t, b, f, "after the full sync")

	table.Services[other] = &proxy.ServicePort{Name: other, ClusterIPs: []netip.Addr{addr("10.96.0.77")}, Port: 80, Protocol: v1.ProtocolTCP}
	table.Endpoints[other] = readyEndpoints("10.244.2.5:8080")
	mustSync(t, b, table, other)
	checkRuleCounts(t, b, f, "after a Service in a new shard")

	table.Endpoints[web] = table.Endpoints[web][1:]
	mustSync(t, b, table, web)
	checkRuleCounts(t, b, f, "after the local endpoint left")

	delete(table.Services, empty)
	delete(table.Services, other)
	delete(table.Endpoints, other)
	mustSync(t, b, table, empty, other)
	checkRuleCounts(t, b, f, "after two Services went")
}

func mustSync(t *testing.T, b *Backend, table *proxy.Table, changed ...proxy.ServicePortName) {
	t.Helper()
	if err := b.Sync(table, sets.New(changed...), false); err != nil {
		t.Fatal(err)
	}
}

func checkRuleCounts(t *testing.T, b *Backend, f *iptablestest.FakeKernel, when string) {
	t.Helper()
	for _, tc := range []struct {
		table    string
		reported int
	}{{tableNAT, b.ruleCounts.total.nat}, {tableFilter, b.ruleCounts.total.filter}} {
		save, err := f.Save(tc.table)
		if err != nil {
			t.Fatal(err)
		}
		inKernel := strings.Count(save, "\n-A NODENET-")
		if tc.reported != inKernel || inKernel == 0 {
			t.Errorf("%s: %s rules reported %d, in the kernel's NODENET chains %d", when, tc.table, tc.reported, inKernel)
		}
	}
}

func TestWrittenRulesCountsAppendsPerTable(t *testing.T) {
	payload := "*nat\n:NODENET-SVC-0A - [0:0]\n-A NODENET-SVC-0A -j DNAT --to-destination 10.244.1.2:80\n" +
		"-A NODENET-SVC-0A -j MARK --or-mark 0x4000\n-I PREROUTING 1 -j NODENET-SERVICES\nCOMMIT\n" +
		"*filter\n:NODENET-REJ-0A - [0:0]\n-A NODENET-REJ-0A -j REJECT\n-X NODENET-REJ-0B\nCOMMIT\n"
	if got := writtenRules([]byte(payload)); got != (tableCounts{nat: 2, filter: 1}) {
		t.Errorf("writtenRules = %+v, want nat 2 (the hook is not counted), filter 1", got)
	}
}
