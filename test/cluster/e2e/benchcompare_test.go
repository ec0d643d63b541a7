//go:build e2e

package clustere2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nodenet/nodenet/test/cluster/controlplane"
	"github.com/nodenet/nodenet/test/netns"
)

// BenchmarkCompareKubeProxy (make bench-compare) serves the same Services
// and EndpointSlices, created through the API server, with upstream
// kube-proxy and with nodenet in turn, each in a fresh node namespace, and
// prints one table. $NNT_BENCH_SERVICES lists the sizes (default 1000;
// "1000,10000" for both of the issue's).
func BenchmarkCompareKubeProxy(b *testing.B) {
	sizes := benchSizes(b)
	c := benchCluster(b)
	be := startBenchBackend(b, c)
	createBenchNodes(b, c)
	lat := createLatencyService(b, c, "latency", []string{be.ips[0]})
	var out strings.Builder
	host := 70 // underlay host numbers of the node namespaces
	for _, n := range sizes {
		first, last := createBenchServices(b, c, be, n)
		var results []benchResult
		for _, a := range selectedAgents(b) {
			r := measureAgent(b, c, be, a, host, first, last, lat)
			host++
			b.Logf("%d Services, %s: %+v", n, a, r)
			results = append(results, r)
		}
		writeCompareTable(&out, n, results)
	}
	fmt.Println(out.String())
}

// benchAgent is one proxy under comparison.
type benchAgent struct {
	program, mode string
}

func (a benchAgent) String() string { return a.program + " " + a.mode }

// benchAgents run in this order: each of nodenet's modes that kube-proxy
// also has (ipvs cannot run on this kernel).
var benchAgents = []benchAgent{{"kube-proxy", "iptables"}, {"nodenet", "iptables"}, {"kube-proxy", "nftables"}, {"nodenet", "nftables"}}

// selectedAgents are benchAgents, or those $NNT_BENCH_AGENTS names
// (comma-separated, e.g. "nodenet iptables,kube-proxy nftables").
func selectedAgents(b *testing.B) []benchAgent {
	spec := os.Getenv("NNT_BENCH_AGENTS")
	if spec == "" {
		return benchAgents
	}
	var out []benchAgent
	for _, name := range strings.Split(spec, ",") {
		i := slices.IndexFunc(benchAgents, func(a benchAgent) bool { return a.String() == strings.TrimSpace(name) })
		if i < 0 {
			b.Fatalf("NNT_BENCH_AGENTS: unknown agent %q (known: %v)", name, benchAgents)
		}
		out = append(out, benchAgents[i])
	}
	return out
}

// coldStartLimit bounds the wait for an agent's first sync; one that
// takes longer is reported as such, and the others still run.
const coldStartLimit = 10 * time.Minute

// benchEndpoints is the number of endpoints of each Service, benchNodes
// the nodes they are spread over.
const (
	benchEndpoints = 10
	benchNodes     = 100
	// latencyChanges single-endpoint changes are timed per agent, spaced
	// further apart than both agents' default --iptables-min-sync-period
	// (1 s) so each is programmed by a sync of its own.
	latencyChanges = 20
	changeSpacing  = 1100 * time.Millisecond
)

func benchSizes(b *testing.B) []int {
	spec := os.Getenv("NNT_BENCH_SERVICES")
	if spec == "" {
		spec = "1000"
	}
	var sizes []int
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 {
			b.Fatalf("NNT_BENCH_SERVICES=%q: want sizes >= 2, comma-separated", spec)
		}
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	return sizes
}

// benchCluster is a control plane and the deploy manifest's identity, no
// nodes; its admin client is not rate limited (thousands of objects).
func benchCluster(b *testing.B) *cluster {
	netns.RequireRoot(b)
	prefix := netns.UniquePrefix("k")
	c := &cluster{net: controlplane.NewNetwork(b, prefix)}
	c.cp = controlplane.Start(b, c.net)
	c.admin = fastAdmin(b, c)
	id := applyDeployRBAC(b, c.admin, nil)
	c.agentKubeconfig = c.cp.WriteKubeconfig(b, b.TempDir(), "nodenet", id.token(b, c.admin))
	if _, err := c.admin.CoreV1().Namespaces().Create(context.Background(),
		&v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	return c
}

// benchBackend is a namespace on the underlay holding the addresses of
// the endpoints that answer (10.244.200.1-10, an nnt-echo on each, named
// ep-1...), and owning all of 10.96.0.0/16: a connection to a ClusterIP
// the proxy has not programmed yet reaches it and is refused at once
// instead of timing out.
type benchBackend struct {
	ns   *netns.NS
	ip   string
	ips  []string
	name map[string]string // address -> echo name
}

func startBenchBackend(b *testing.B, c *cluster) *benchBackend {
	be := &benchBackend{ns: netns.New(b, c.net.Prefix+"-be"), name: map[string]string{}}
	be.ip = c.net.Join(b, be.ns, "eth0", 60)
	be.ns.IP(b, "route", "add", "local", controlplane.ServiceCIDR, "dev", "lo")
	for i := 1; i <= benchEndpoints; i++ {
		ip := fmt.Sprintf("10.244.200.%d", i)
		be.ns.AddAddr(b, "lo", ip+"/32")
		name := fmt.Sprintf("ep-%d", i)
		p := netns.Start(b, be.ns.Name, "echo "+name, netns.EchoBin, "serve", "-name", name, "-tcp", net.JoinHostPort(ip, strconv.Itoa(echoPort)))
		if err := p.WaitOutput(10*time.Second, "ready"); err != nil {
			b.Fatal(err)
		}
		be.ips = append(be.ips, ip)
		be.name[ip] = name
	}
	return be
}

func createBenchNodes(b *testing.B, c *cluster) {
	parallel(benchNodes, 16, func(i int) error {
		node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-n%03d", i)},
			Status: v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)}}}}
		_, err := c.admin.CoreV1().Nodes().Create(context.Background(), node, metav1.CreateOptions{})
		return err
	})
}

// createBenchServices adds Services svc-00000... up to n in all (sizes
// grow), each with benchEndpoints endpoints over benchNodes nodes; the
// first and the last answer (their endpoints are the backend's).
func createBenchServices(b *testing.B, c *cluster, be *benchBackend, n int) (first, last string) {
	existing, err := c.admin.CoreV1().Services("bench").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	from := len(existing.Items) - 1 // "latency" is not one of them
	addrs := make([]string, n)
	var mu sync.Mutex
	parallel(n-from, 16, func(k int) error {
		i := from + k
		ips := be.ips
		if i != 0 && i != n-1 {
			ips = fakeEndpoints(i)
		}
		svc, err := createService(c, fmt.Sprintf("svc-%05d", i), ips)
		if err == nil {
			mu.Lock()
			addrs[i] = svc
			mu.Unlock()
		}
		return err
	})
	if from > 0 {
		first = serviceAddr(b, c, "svc-00000")
	} else {
		first = addrs[0]
	}
	return first, addrs[n-1]
}

func fakeEndpoints(i int) []string {
	ips := make([]string, benchEndpoints)
	for e := range ips {
		k := i*benchEndpoints + e
		ips[e] = fmt.Sprintf("10.244.%d.%d", k%benchNodes, k/benchNodes%250+1)
	}
	return ips
}

func createLatencyService(b *testing.B, c *cluster, name string, ips []string) string {
	addr, err := createService(c, name, ips)
	if err != nil {
		b.Fatal(err)
	}
	return addr
}

// createService makes a ClusterIP Service (port 80 to echoPort) and its
// EndpointSlice; it returns the ClusterIP:80.
func createService(c *cluster, name string, ips []string) (string, error) {
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "bench"},
		Spec: v1.ServiceSpec{Ports: []v1.ServicePort{{Name: "echo", Protocol: v1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(echoPort)}}}}
	got, err := c.admin.CoreV1().Services("bench").Create(context.Background(), svc, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	if _, err := c.admin.DiscoveryV1().EndpointSlices("bench").Create(context.Background(), compareSlice(name, ips, time.Now()), metav1.CreateOptions{}); err != nil {
		return "", err
	}
	return net.JoinHostPort(got.Spec.ClusterIP, "80"), nil
}

func serviceAddr(b *testing.B, c *cluster, name string) string {
	svc, err := c.admin.CoreV1().Services("bench").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return net.JoinHostPort(svc.Spec.ClusterIP, "80")
}

// benchSlice is the Service's EndpointSlice with endpoints ips (on
// nodes bench-n..., by address), triggered at trigger.
func compareSlice(name string, ips []string, trigger time.Time) *discovery.EndpointSlice {
	ready := true
	port, proto, portName := int32(echoPort), v1.ProtocolTCP, "echo"
	slice := &discovery.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-nnt", Namespace: "bench",
			Labels:      map[string]string{discovery.LabelServiceName: name, discovery.LabelManagedBy: managedBy},
			Annotations: map[string]string{v1.EndpointsLastChangeTriggerTime: trigger.UTC().Format(time.RFC3339Nano)}},
		AddressType: discovery.AddressTypeIPv4,
		Ports:       []discovery.EndpointPort{{Name: &portName, Port: &port, Protocol: &proto}},
	}
	for i, ip := range ips {
		nodeName := fmt.Sprintf("bench-n%03d", i%benchNodes)
		slice.Endpoints = append(slice.Endpoints, discovery.Endpoint{Addresses: []string{ip}, NodeName: &nodeName,
			Conditions: discovery.EndpointConditions{Ready: &ready}})
	}
	return slice
}

// benchResult is what one agent measured.
type benchResult struct {
	agent               benchAgent
	coldStart           time.Duration
	p50, p99            time.Duration
	peakMemory          uint64 // bytes, the agent and its children (memory cgroup)
	cpu                 time.Duration
	connFirst, connLast time.Duration
	// unfinished: not all rules in within coldStartLimit; nothing else measured.
	unfinished bool
}

// measureAgent starts a in a fresh node namespace (underlay host number
// host) in cgroups of its own, and measures it from outside.
func measureAgent(b *testing.B, c *cluster, be *benchBackend, a benchAgent, host int, first, last, lat string) benchResult {
	k := c.addKubeProxyNode(b, fmt.Sprintf("b%d", host), host)
	k.ns.IP(b, "route", "replace", controlplane.ServiceCIDR, "via", be.ip, "dev", "eth0")
	k.ns.IP(b, "route", "add", clusterCIDR, "via", be.ip, "dev", "eth0")
	cg := newBenchCgroups(b, k.name)
	var argv []string
	if a.program == "kube-proxy" {
		argv = kubeProxyArgs(b, c, k.name, a.mode)
	} else {
		argv = []string{nodenetBin, "agent", "--kubeconfig", c.agentKubeconfig, "--hostname-override", k.name,
			"--proxy-mode", a.mode, "--cluster-cidr", clusterCIDR, "--netpol=false",
			"--healthz-bind-address", fmt.Sprintf("0.0.0.0:%d", healthzPort),
			"--metrics-bind-address", fmt.Sprintf("0.0.0.0:%d", metricsPort)}
	}
	r := benchResult{agent: a}
	start := time.Now()
	agent := netns.Start(b, "", a.String(), cg.wrap(k.ns.Name, argv)...)
	agent.LogOnFailure(b)
	err := netns.Within(k.ns.Name, func() error {
		if err := waitAnswer(agent, last, "ep-", coldStartLimit); err != nil {
			if exited, _ := agent.Exited(); !exited {
				r.unfinished = true
				return nil
			}
			return fmt.Errorf("last Service: %w", err)
		}
		r.coldStart = time.Since(start)
		b.Logf("%s: cold start %v", a, r.coldStart)
		var err error
		if r.connFirst, err = connectLatency(first); err != nil {
			return err
		}
		if r.connLast, err = connectLatency(last); err != nil {
			return err
		}
		var lats []time.Duration
		for i := 1; i <= latencyChanges; i++ {
			time.Sleep(changeSpacing) // see changeSpacing
			ip := be.ips[i%len(be.ips)]
			trigger := time.Now()
			if err := updateSlice(c, "latency", []string{ip}, trigger); err != nil {
				return err
			}
			if err := waitAnswer(agent, lat, be.name[ip]+" ", time.Minute); err != nil {
				return fmt.Errorf("change %d: %w", i, err)
			}
			lats = append(lats, time.Since(trigger))
		}
		slices.Sort(lats)
		r.p50, r.p99 = percentile(lats, 50), percentile(lats, 99)
		return nil
	})
	if err != nil {
		b.Fatalf("%s: %v", a, err)
	}
	r.cpu, r.peakMemory = cg.usage(b)
	agent.Stop()
	return r
}

func updateSlice(c *cluster, name string, ips []string, trigger time.Time) error {
	slices := c.admin.DiscoveryV1().EndpointSlices("bench")
	old, err := slices.Get(context.Background(), name+"-nnt", metav1.GetOptions{})
	if err != nil {
		return err
	}
	slice := compareSlice(name, ips, trigger)
	slice.ResourceVersion = old.ResourceVersion
	_, err = slices.Update(context.Background(), slice, metav1.UpdateOptions{})
	return err
}

// waitAnswer connects to addr again and again (from the calling thread's
// namespace) until an endpoint answers with a line starting with prefix,
// or the agent exits.
func waitAnswer(agent *netns.Proc, addr, prefix string, timeout time.Duration) error {
	return netns.PollUntil(timeout, time.Millisecond, func() error {
		if exited, err := agent.Exited(); exited {
			return netns.Permanent(fmt.Errorf("the agent exited: %v", err))
		}
		line, err := dialLine(addr)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, prefix) {
			return fmt.Errorf("answered %q, want %s...", line, prefix)
		}
		return nil
	})
}

func dialLine(addr string) (string, error) { return dialLineTimeout(addr, 500*time.Millisecond) }

func dialLineTimeout(addr string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	return bufio.NewReader(c).ReadString('\n')
}

// connectLatency is the median time of 50 connects (SYN to SYN-ACK,
// through the proxy's rules for the first packet) to addr.
func connectLatency(addr string) (time.Duration, error) {
	var ds []time.Duration
	for range 50 {
		start := time.Now()
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start))
		c.Close()
	}
	slices.Sort(ds)
	return percentile(ds, 50), nil
}

func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(i, len(sorted))-1)]
}

// benchCgroups are a memory and a cpuacct cgroup (v1, as on this machine)
// the agent is started in, so that its children (iptables-restore, nft)
// count too: memory.max_usage_in_bytes is the peak, cpuacct.usage the CPU.
// The memory one sits below this process's own, whose limit it shares.
type benchCgroups struct{ mem, cpu string }

func newBenchCgroups(b *testing.B, name string) *benchCgroups {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		b.Fatal(err)
	}
	cg := &benchCgroups{mem: "/sys/fs/cgroup/memory", cpu: "/sys/fs/cgroup/cpuacct"}
	for _, line := range strings.Split(string(own), "\n") {
		if parts := strings.SplitN(line, ":", 3); len(parts) == 3 {
			switch parts[1] {
			case "memory":
				cg.mem = filepath.Join(cg.mem, parts[2])
			case "cpu,cpuacct", "cpuacct":
				cg.cpu = filepath.Join(cg.cpu, parts[2])
			}
		}
	}
	cg.mem, cg.cpu = filepath.Join(cg.mem, name), filepath.Join(cg.cpu, name)
	for _, dir := range []string{cg.mem, cg.cpu} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatalf("cgroup for the agent: %v", err)
		}
		// After the agent is stopped (cleanups run last first); the kernel
		// refuses the rmdir for a moment after the last task left.
		b.Cleanup(func() {
			if err := netns.PollUntil(10*time.Second, 50*time.Millisecond, func() error { return os.Remove(dir) }); err != nil {
				b.Errorf("removing cgroup %s: %v", dir, err)
			}
		})
	}
	return cg
}

// wrap makes argv join both cgroups, then run in namespace ns. In that
// order: `ip netns exec` mounts a sysfs of the namespace's own, without
// the cgroup file systems.
func (cg *benchCgroups) wrap(ns string, argv []string) []string {
	script := fmt.Sprintf(`echo $$ > %s/cgroup.procs && echo $$ > %s/cgroup.procs && exec "$0" "$@"`, cg.mem, cg.cpu)
	return append([]string{"sh", "-c", script, "ip", "netns", "exec", ns}, argv...)
}

func (cg *benchCgroups) usage(b *testing.B) (time.Duration, uint64) {
	read := func(path string) uint64 {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		v, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
	return time.Duration(read(filepath.Join(cg.cpu, "cpuacct.usage"))), read(filepath.Join(cg.mem, "memory.max_usage_in_bytes"))
}

// writeCompareTable prints one markdown table for n Services: a column
// per agent, and after each nodenet column its ratio to kube-proxy's same
// mode (kube-proxy ÷ nodenet: above 1 is nodenet faster or smaller).
func writeCompareTable(w *strings.Builder, n int, results []benchResult) {
	fmt.Fprintf(w, "\n%d Services × %d endpoints over %d nodes\n\n", n, benchEndpoints, benchNodes)
	type col struct {
		head string
		cell func(m benchMetric) string
	}
	var cols []col
	for _, mode := range []string{"iptables", "nftables"} {
		kp, kpOK := findResult(results, benchAgent{"kube-proxy", mode})
		nn, nnOK := findResult(results, benchAgent{"nodenet", mode})
		if kpOK {
			cols = append(cols, col{"kube-proxy " + mode, func(m benchMetric) string { return m.cell(kp) }})
		}
		if !nnOK {
			cols = append(cols, col{"nodenet " + mode, func(benchMetric) string { return "not run" }})
			continue
		}
		cols = append(cols, col{"nodenet " + mode, func(m benchMetric) string { return m.cell(nn) }})
		if kpOK {
			cols = append(cols, col{"ratio", func(m benchMetric) string {
				if kp.unfinished || nn.unfinished {
					return "—"
				}
				return fmt.Sprintf("%.1f×", m.get(kp)/max(m.get(nn), 1e-9))
			}})
		}
	}
	w.WriteString("| |")
	for _, c := range cols {
		w.WriteString(" " + c.head + " |")
	}
	w.WriteString("\n|---|" + strings.Repeat("---|", len(cols)) + "\n")
	for _, m := range benchMetrics {
		w.WriteString("| " + m.name + " |")
		for _, c := range cols {
			w.WriteString(" " + c.cell(m) + " |")
		}
		w.WriteString("\n")
	}
}

func findResult(results []benchResult, a benchAgent) (benchResult, bool) {
	for _, r := range results {
		if r.agent == a {
			return r, true
		}
	}
	return benchResult{}, false
}

// benchMetric is one row of the table.
type benchMetric struct {
	name   string
	get    func(benchResult) float64
	format func(float64) string
}

// cell is the metric of r, or that r's agent did not finish its cold start.
func (m benchMetric) cell(r benchResult) string {
	if r.unfinished && strings.HasPrefix(m.name, "cold start") {
		return fmt.Sprintf("> %v", coldStartLimit)
	}
	if r.unfinished {
		return "not measured"
	}
	return m.format(m.get(r))
}

func seconds(v float64) string { return fmt.Sprintf("%.3f s", v) }
func millis(v float64) string  { return fmt.Sprintf("%.2f ms", v*1000) }
func mib(v float64) string     { return fmt.Sprintf("%.0f MiB", v/(1<<20)) }

var benchMetrics = []benchMetric{
	{"cold start (start to last Service answering)", func(r benchResult) float64 { return r.coldStart.Seconds() }, seconds},
	{"programming latency p50 (trigger time to rule in kernel)", func(r benchResult) float64 { return r.p50.Seconds() }, seconds},
	{fmt.Sprintf("programming latency p99 (of %d)", latencyChanges), func(r benchResult) float64 { return r.p99.Seconds() }, seconds},
	{"peak memory incl. children", func(r benchResult) float64 { return float64(r.peakMemory) }, mib},
	{"CPU time (until the last change)", func(r benchResult) float64 { return r.cpu.Seconds() }, seconds},
	{"connect latency, first Service (median of 50)", func(r benchResult) float64 { return r.connFirst.Seconds() }, millis},
	{"connect latency, last Service (median of 50)", func(r benchResult) float64 { return r.connLast.Seconds() }, millis},
}
