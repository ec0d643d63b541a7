package nftables

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/component-base/metrics"
)

// TestFailuresCountedAsKubeProxyNFTablesMode: a refused transaction
// counts in sync_proxy_rules_nftables_sync_failures_total and a refused
// stale-chain deletion in ..._cleanup_failures_total, per family, as in
// kube-proxy's nftables mode; the proxier core then leaves the iptables
// restore counter alone (CountsSyncFailures).
func TestFailuresCountedAsKubeProxyNFTablesMode(t *testing.T) {
	table := goldenTable()
	b, r := synced(t, table)
	if !b.CountsSyncFailures() {
		t.Fatal("the nftables backend must count its own failures")
	}
	syncBefore, cleanupBefore := counter(t, syncFailures), counter(t, cleanupFailures)

	web := svcName("web")
	delete(table.Services, web)
	delete(table.Endpoints, web)
	r.failWhen = func(tx string) bool { return strings.Contains(tx, "delete chain") }
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatalf("a failed cleanup must not fail the sync: %v", err)
	}
	if got := counter(t, cleanupFailures) - cleanupBefore; got != 1 {
		t.Errorf("cleanup failures counted %v, want 1", got)
	}

	r.failWhen = func(string) bool { return true }
	table.Services[web] = goldenTable().Services[web]
	if err := b.Sync(table, sets.New(web), false); err == nil {
		t.Fatal("a refused transaction must fail the sync")
	}
	if got := counter(t, syncFailures) - syncBefore; got != 1 {
		t.Errorf("sync failures counted %v, want 1", got)
	}
}

func counter(t *testing.T, v *metrics.CounterVec) float64 {
	t.Helper()
	var m dto.Metric
	if err := v.WithLabelValues("IPv4").(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
