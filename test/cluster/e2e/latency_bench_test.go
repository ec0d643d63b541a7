//go:build e2e

package clustere2e

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/nodenet/nodenet/test/netns"
)

// BenchmarkNetworkProgramming: N Services with one endpoint each are
// created through the API server, then churnChanges EndpointSlice updates
// (each replacing the endpoint, with the trigger-time annotation as the
// endpointslice controller sets it) are made at churnRate. Three proxies
// watch the same API server, each on a node of its own: nodenet in
// nftables mode, nodenet in iptables mode (both with their defaults:
// adaptive pacing, firewall on) and upstream kube-proxy (iptables mode).
// Figures: each one's kubeproxy_network_programming_duration_seconds over
// the churn, as bucket upper bounds (0.25 s, 0.5 s, then whole seconds)
// as the SLI reads them, and for nodenet the exact p50/p99 measured from
// outside the agent (kernelWatch: trigger time to the DNAT rule's arrival
// in nf_tables). $NNT_BENCH_AGENTS lists the nodenet agents instead,
// comma-separated, each a mode and its flags (e.g. "nftables,nftables
// --iptables-min-sync-period=1s" compares adaptive pacing with kube-proxy's
// fixed one); $NNT_BENCH_KUBEPROXY=off leaves kube-proxy out (its syncs at
// 10k keep a core busy, which the others then lack).
//
//	cd test/cluster && sudo NODENET_BIN=$PWD/../../bin/nodenet \
//	  go test -tags e2e -run '^$' -bench NetworkProgramming -benchtime 1x -timeout 60m ./e2e/
func BenchmarkNetworkProgramming(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) { benchProgramming(b, n) })
	}
}

const (
	churnChanges = 300
	churnRate    = 20 // changes per second
)

// latencyProxy is one proxy under measurement.
type latencyProxy struct {
	name, addr string
	watch      *kernelWatch // nil: not measured from outside
}

func benchProgramming(b *testing.B, services int) {
	c := startCluster(b, clusterOptions{})
	var proxies []*latencyProxy
	agents := benchNodenetAgents()
	for i, agent := range agents {
		nd := c.addNode(b, fmt.Sprintf("%s-%c", c.net.Prefix, 'a'+i), i+1)
		nd.startAgent(b, c.agentKubeconfig, append([]string{"--proxy-mode"}, strings.Fields(agent)...)...)
		nd.waitHealthy(b)
		proxies = append(proxies, &latencyProxy{name: "nodenet " + agent, addr: nd.ip})
	}
	if os.Getenv("NNT_BENCH_KUBEPROXY") != "off" {
		proxies = append(proxies, &latencyProxy{name: "kube-proxy iptables", addr: c.startKubeProxy(b)})
	}
	admin := fastAdmin(b, c)
	c.ensureNamespace(b, "bench", nil)

	start := time.Now()
	clusterIPs := make([]string, services)
	parallel(services, 16, func(i int) (err error) {
		clusterIPs[i], err = createBenchService(admin, i)
		return err
	})
	b.Logf("%d Services and EndpointSlices created in %v", services, time.Since(start).Round(time.Second))
	before := map[string]*dto.MetricFamily{}
	for _, p := range proxies {
		waitServicePorts(b, p.name, p.addr, services)
		before[p.name] = latencyFamily(b, p.addr)
	}
	for i, p := range proxies[:len(agents)] {
		p.watch = watchKernel(b, c.nodes[i].ns.Name)
	}
	tick := time.NewTicker(time.Second / churnRate)
	for i := range churnChanges {
		<-tick.C
		svc := i % services
		trigger := time.Now()
		for _, p := range proxies[:len(agents)] {
			p.watch.Expect("bench/svc-"+strconv.Itoa(svc), clusterIPs[svc], benchEndpointIP(svc, i+1)+":8080", trigger)
		}
		if err := churnEndpoint(admin, svc, i, trigger); err != nil {
			b.Fatal(err)
		}
	}
	tick.Stop()
	for i, p := range proxies {
		reportLatency(b, p, before[p.name], services)
		if p.watch != nil {
			logUnseen(b, p, c.nodes[i].ns.Name)
		}
	}
}

// benchNodenetAgents are $NNT_BENCH_AGENTS' entries, or one agent in
// each mode with its defaults.
func benchNodenetAgents() []string {
	env := os.Getenv("NNT_BENCH_AGENTS")
	if env == "" {
		return []string{"nftables", "iptables"}
	}
	return strings.Split(env, ",")
}

// reportLatency waits until the proxy has observed every change, then
// reports its histogram's percentiles and, when watched, the exact ones.
func reportLatency(b *testing.B, p *latencyProxy, before *dto.MetricFamily, services int) {
	var after *dto.MetricFamily
	netns.Eventually(b, 5*time.Minute, p.name+" programming every change", func() error {
		after = latencyFamily(b, p.addr)
		if got := histogramCount(after) - histogramCount(before); got < churnChanges {
			return fmt.Errorf("%d of %d changes observed", got, churnChanges)
		}
		return nil
	})
	p50, p99 := percentiles(before, after)
	b.Logf("%s at %d Services: network programming p50 <= %v s, p99 <= %v s (histogram)", p.name, services, p50, p99)
	metric := strings.NewReplacer(" ", "-", "--", "").Replace(p.name)
	b.ReportMetric(p50, metric+"-p50-s")
	b.ReportMetric(p99, metric+"-p99-s")
	if p.watch == nil {
		return
	}
	seen, unseen := p.watch.Seen()
	if errs := p.watch.Errors(); errs != "" {
		b.Logf("%s: nft monitor said: %s", p.name, errs)
	}
	if len(seen) == 0 {
		b.Errorf("%s: no change seen in the kernel", p.name)
		return
	}
	slices.Sort(seen)
	exact50, exact99 := percentile(seen, 50), percentile(seen, 99)
	b.Logf("%s at %d Services: trigger to DNAT rule in the kernel, %d changes (%d unseen): p50 %v, p99 %v, max %v",
		p.name, services, len(seen), unseen, exact50.Round(time.Millisecond), exact99.Round(time.Millisecond), seen[len(seen)-1].Round(time.Millisecond))
	b.ReportMetric(exact50.Seconds(), metric+"-kernel-p50-s")
	b.ReportMetric(exact99.Seconds(), metric+"-kernel-p99-s")
}

// fastAdmin is an admin client without client-side throttling.
func fastAdmin(tb testing.TB, c *cluster) kubernetes.Interface {
	cfg := c.cp.RESTConfig(c.cp.AdminToken())
	cfg.QPS, cfg.Burst = 5000, 5000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return cs
}

func benchEndpointIP(i, gen int) string {
	return fmt.Sprintf("10.244.%d.%d", 100+(i+gen)%100, 2+(i/100+gen)%250)
}

// createBenchService creates Service i and its slice; it returns the
// ClusterIP.
func createBenchService(admin kubernetes.Interface, i int) (string, error) {
	ctx := context.Background()
	name := "svc-" + strconv.Itoa(i)
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "bench"},
		Spec: v1.ServiceSpec{Ports: []v1.ServicePort{{Name: "p", Protocol: v1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	created, err := admin.CoreV1().Services("bench").Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	_, err = admin.DiscoveryV1().EndpointSlices("bench").Create(ctx, benchSlice(i, 0, time.Now()), metav1.CreateOptions{})
	return created.Spec.ClusterIP, err
}

func benchSlice(i, gen int, trigger time.Time) *discovery.EndpointSlice {
	name, port, proto, ready := "p", int32(8080), v1.ProtocolTCP, true
	return &discovery.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "svc-" + strconv.Itoa(i), Namespace: "bench",
			Labels:      map[string]string{discovery.LabelServiceName: "svc-" + strconv.Itoa(i), discovery.LabelManagedBy: managedBy},
			Annotations: map[string]string{v1.EndpointsLastChangeTriggerTime: trigger.UTC().Format(time.RFC3339Nano)}},
		AddressType: discovery.AddressTypeIPv4,
		Ports:       []discovery.EndpointPort{{Name: &name, Port: &port, Protocol: &proto}},
		Endpoints: []discovery.Endpoint{{Addresses: []string{benchEndpointIP(i, gen)},
			Conditions: discovery.EndpointConditions{Ready: &ready}}},
	}
}

// churnEndpoint replaces Service i's endpoint (generation gen+1), the
// change triggered at trigger.
func churnEndpoint(admin kubernetes.Interface, i, gen int, trigger time.Time) error {
	slices := admin.DiscoveryV1().EndpointSlices("bench")
	old, err := slices.Get(context.Background(), "svc-"+strconv.Itoa(i), metav1.GetOptions{})
	if err != nil {
		return err
	}
	s := benchSlice(i, gen+1, trigger)
	s.ResourceVersion = old.ResourceVersion
	_, err = slices.Update(context.Background(), s, metav1.UpdateOptions{})
	return err
}

// parallel runs fn(0..n-1) on workers goroutines; the first error panics
// the benchmark setup (a broken API server).
func parallel(n, workers int, fn func(i int) error) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					panic(fmt.Sprintf("item %d: %v", i, err))
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// waitServicePorts waits until the proxy at addr has synced with no
// change pending after at least want Services arrived.
func waitServicePorts(tb testing.TB, name, addr string, want int) {
	netns.Eventually(tb, 10*time.Minute, name+" programming every Service", func() error {
		fams, err := scrape(fmt.Sprintf("http://%s:%d/metrics", addr, metricsPort))
		if err != nil {
			return err
		}
		total := counterValue(fams["kubeproxy_sync_proxy_rules_service_changes_total"])
		pending := gaugeValue(fams["kubeproxy_sync_proxy_rules_service_changes_pending"]) +
			gaugeValue(fams["kubeproxy_sync_proxy_rules_endpoint_changes_pending"])
		if total < float64(want) || pending > 0 {
			return fmt.Errorf("%v Service changes seen, %v changes pending", total, pending)
		}
		code, _, err := httpGet(fmt.Sprintf("http://%s:%d/healthz", addr, healthzPort))
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("/healthz %d", code)
		}
		return err
	})
}

func latencyFamily(tb testing.TB, addr string) *dto.MetricFamily {
	fams, err := scrape(fmt.Sprintf("http://%s:%d/metrics", addr, metricsPort))
	if err != nil {
		tb.Fatal(err)
	}
	if f := fams["kubeproxy_network_programming_duration_seconds"]; f != nil {
		return f
	}
	return &dto.MetricFamily{}
}

func counterValue(f *dto.MetricFamily) float64 {
	var v float64
	for _, m := range f.GetMetric() {
		v += m.GetCounter().GetValue()
	}
	return v
}

func gaugeValue(f *dto.MetricFamily) float64 {
	var v float64
	for _, m := range f.GetMetric() {
		v += m.GetGauge().GetValue()
	}
	return v
}

// percentiles are the p50 and p99 of the observations between before and
// after, as bucket upper bounds.
func percentiles(before, after *dto.MetricFamily) (p50, p99 float64) {
	counts := map[float64]float64{}
	add := func(f *dto.MetricFamily, sign float64) {
		for _, m := range f.GetMetric() {
			for _, bk := range m.GetHistogram().GetBucket() {
				counts[bk.GetUpperBound()] += sign * float64(bk.GetCumulativeCount())
			}
		}
	}
	add(after, 1)
	add(before, -1)
	bounds := make([]float64, 0, len(counts))
	for ub := range counts {
		bounds = append(bounds, ub)
	}
	sort.Float64s(bounds)
	total := float64(histogramCount(after) - histogramCount(before))
	at := func(q float64) float64 {
		for _, ub := range bounds {
			if counts[ub] >= q*total {
				return ub
			}
		}
		return math.Inf(1)
	}
	return at(0.5), at(0.99)
}

// logUnseen shows, for a few changes the watch did not see, what the
// node's kernel holds for their Service now (nftables mode).
func logUnseen(b *testing.B, p *latencyProxy, ns string) {
	unseen := p.watch.Unseen()
	if len(unseen) == 0 {
		return
	}
	table, _ := netns.Exec(ns, "nft", "list", "table", "ip", "nodenet")
	for _, u := range unseen[:min(3, len(unseen))] {
		svc, _, _ := strings.Cut(u, " ")
		var lines []string
		for _, l := range strings.Split(table, "\n") {
			if strings.Contains(l, "-"+svc+"/") {
				lines = append(lines, strings.TrimSpace(l))
			}
		}
		b.Logf("%s: unseen %s; the kernel now: %v", p.name, u, lines)
	}
}
