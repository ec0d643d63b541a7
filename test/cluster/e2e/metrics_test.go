//go:build e2e

package clustere2e

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/nodenet/nodenet/test/netns"
)

// sharedMetrics are kube-proxy metrics nodenet must export under the same
// name, type and labels.
var sharedMetrics = []string{
	"kubeproxy_network_programming_duration_seconds",
	"kubeproxy_sync_proxy_rules_duration_seconds",
	"kubeproxy_sync_full_proxy_rules_duration_seconds",
	"kubeproxy_sync_proxy_rules_last_timestamp_seconds",
	"kubeproxy_sync_proxy_rules_endpoint_changes_total",
	"kubeproxy_sync_proxy_rules_endpoint_changes_pending",
	"kubeproxy_sync_proxy_rules_service_changes_total",
	"kubeproxy_sync_proxy_rules_service_changes_pending",
	"kubeproxy_proxy_healthz_total",
	"kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
	"kubeproxy_sync_proxy_rules_no_local_endpoints_total",
	// iptables mode (both run it here); the last two read nfacct
	// counters, which this kernel has (nfnetlink_acct)
	"kubeproxy_sync_proxy_rules_iptables_total",
	"kubeproxy_sync_proxy_rules_iptables_last",
	"kubeproxy_iptables_ct_state_invalid_dropped_packets_total",
	"kubeproxy_iptables_localhost_nodeports_accepted_packets_total",
}

// notExported are kube-proxy metrics nodenet leaves out on purpose, with
// the reason; any other kube-proxy metric nodenet lacks fails the test.
var notExported = map[string]string{}

// TestKubeProxyMetrics runs upstream kube-proxy (the same build as the API
// server) on a node of its own beside a nodenet node, both in iptables
// mode, makes a change both program, and compares their kubeproxy_*
// metrics: every one nodenet exports that kube-proxy exports too has the
// same type and label names, the shared set is there in both (network
// programming latency and the rule counts included), and every metric
// kube-proxy exports is exported by nodenet too unless notExported says
// why not. (Counters with labels that never counted, such as the partial
// restore failures, are exported by neither until they count.)
func TestKubeProxyMetrics(t *testing.T) {
	c := newCluster(t, 1)
	nd := c.nodes[0]
	kp := c.startKubeProxy(t)
	c.ensureNamespace(t, "web", nil)
	pod := nd.addPod(t, "web", "pod-a", nil)
	svc := c.createService(t, "web", "web", nil)
	c.writeEndpoints(t, svc, endpoint{pod, nd})

	var ours, theirs map[string]*dto.MetricFamily
	netns.Eventually(t, 30*time.Second, "network programming latency from both proxies", func() error {
		var err error
		if ours, err = scrape(fmt.Sprintf("http://%s:%d/metrics", nd.ip, metricsPort)); err != nil {
			return err
		}
		if theirs, err = scrape(fmt.Sprintf("http://%s:%d/metrics", kp, metricsPort)); err != nil {
			return err
		}
		for name, fams := range map[string]map[string]*dto.MetricFamily{"nodenet": ours, "kube-proxy": theirs} {
			if histogramCount(fams["kubeproxy_network_programming_duration_seconds"]) == 0 {
				return fmt.Errorf("%s has observed no network programming latency yet", name)
			}
		}
		return nil
	})
	for _, name := range sharedMetrics {
		if ours[name] == nil || theirs[name] == nil {
			t.Errorf("%s: nodenet has it: %v, kube-proxy has it: %v; want both", name, ours[name] != nil, theirs[name] != nil)
		}
	}
	var lacking []string
	for name, theirFam := range theirs {
		if !strings.HasPrefix(name, "kubeproxy_") {
			continue
		}
		ourFam := ours[name]
		if ourFam == nil {
			if why, ok := notExported[name]; ok {
				t.Logf("%s: not exported: %s", name, why)
			} else {
				lacking = append(lacking, name)
			}
			continue
		}
		if ourFam.GetType() != theirFam.GetType() || !slices.Equal(labelNames(ourFam), labelNames(theirFam)) {
			t.Errorf("%s: nodenet's is a %v with labels %v, kube-proxy's a %v with labels %v", name,
				ourFam.GetType(), labelNames(ourFam), theirFam.GetType(), labelNames(theirFam))
		}
	}
	slices.Sort(lacking)
	if len(lacking) > 0 {
		t.Errorf("kube-proxy metrics nodenet does not export: %v", lacking)
	}
	t.Logf("network programming latency: nodenet %s, kube-proxy %s",
		histogramSummary(ours["kubeproxy_network_programming_duration_seconds"]),
		histogramSummary(theirs["kubeproxy_network_programming_duration_seconds"]))
}

// startKubeProxy runs upstream kube-proxy (iptables mode) in a node
// namespace of its own, on the underlay, as system:kube-proxy, and
// returns its address there. Changes from before its start are not
// latency (it ignores trigger times older than itself): it has synced once
// when this returns.
func (c *cluster) startKubeProxy(t testing.TB) string {
	t.Helper()
	k := c.addKubeProxyNode(t, "kp", 30)
	k.startKubeProxy(t, c, "iptables")
	return k.ip
}

func scrape(url string) (map[string]*dto.MetricFamily, error) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(strings.NewReader(string(body)))
}

// labelNames are the label names of a family's series, sorted.
func labelNames(f *dto.MetricFamily) []string {
	seen := map[string]bool{}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			seen[l.GetName()] = true
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func histogramCount(f *dto.MetricFamily) uint64 {
	var n uint64
	for _, m := range f.GetMetric() {
		n += m.GetHistogram().GetSampleCount()
	}
	return n
}

func histogramSummary(f *dto.MetricFamily) string {
	var n uint64
	var sum float64
	for _, m := range f.GetMetric() {
		n += m.GetHistogram().GetSampleCount()
		sum += m.GetHistogram().GetSampleSum()
	}
	if n == 0 {
		return "no observations"
	}
	return fmt.Sprintf("%d observations, mean %.3f s", n, sum/float64(n))
}
