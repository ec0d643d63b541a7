//go:build e2e

package bench

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// BenchmarkNodenetSync starts the agent on a folder of generated Services
// and reports: the full sync (rules in the kernel), time from start to
// rules and the CPU the agent and its children (nft, iptables-restore)
// used by then, peak RSS of the agent, peak memory of the agent with its
// children (memory cgroup), the replayed restore's own peak, and the
// median sync after one endpoint change.
//
// Both proxy modes run in the same benchmark, so their figures come from
// one run on one machine.
func BenchmarkNodenetSync(b *testing.B) {
	for _, mode := range []string{"iptables", "nftables"} {
		for _, n := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("mode=%s/services=%d", mode, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					runSyncBench(b, mode, cluster{services: n, endpointsPer: 10})
				}
			})
		}
	}
}

func runSyncBench(b *testing.B, mode string, c cluster) {
	dir := b.TempDir()
	if err := c.write(dir); err != nil {
		b.Fatal(err)
	}
	prefix := netns.UniquePrefix("b")
	ns := netns.New(b, prefix+"-node")
	ns.Run(b, "ip", "link", "set", "lo", "up")
	// The agent and its iptables-restore / nft children in one memory
	// cgroup: their peak together is what a node must have room for.
	cg := netns.NewMemoryCgroup(b, prefix+"-agent")
	start := time.Now()
	agent := startBenchAgent(b, ns.Name, dir, mode, cg)
	defer agent.Stop()
	m := waitMetric(b, ns.Name, fullCount, 1, 5*time.Minute)
	toRules := time.Since(start)
	// CPU rather than time alone: on a shared machine the wall clock
	// says more about the neighbours than about the agent.
	cpu, err := cpuSecondsWithChildren(agent.PID())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(m[fullSum], "full-sync-s")
	b.ReportMetric(toRules.Seconds(), "start-to-rules-s")
	b.ReportMetric(cpu, "start-to-rules-cpu-s")
	// The first change after the cold start, from the file written to its
	// sync done: what the cold start's aftermath (the tamper watch hearing
	// the big transaction, the runner's pacing) costs the next change.
	_, firstWall := changeOneEndpoint(b, ns.Name, dir, c, 0)
	b.ReportMetric(firstWall.Seconds(), "first-change-s")
	partial := measureOneEndpointChanges(b, ns.Name, dir, c, 15)
	b.ReportMetric(partial*1000, "one-endpoint-sync-ms")
	agentRSS, err := peakRSS(agent.PID())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(agentRSS/(1<<20), "agent-peak-MiB")
	treePeak, err := cg.PeakBytes()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(treePeak)/(1<<20), "agent+children-peak-MiB")
	if mode == "nftables" {
		checkNFTablesInKernel(b, ns.Name, c)
		replay := replayNFTables(b, ns.Name)
		b.ReportMetric(replay.seconds, "replay-restore-s")
		b.ReportMetric(replay.peakMiB, "restore-peak-MiB")
		return
	}
	checkRulesInKernel(b, ns.Name, c)
	replay := replayRestore(b, ns.Name)
	b.ReportMetric(replay.seconds, "replay-restore-s")
	b.ReportMetric(replay.peakMiB, "restore-peak-MiB")
}

// startBenchAgent starts the agent in namespace ns on the manifests in
// dir, in proxy mode mode, syncing as soon as something changes; with a
// memory cgroup cg, the agent and its children run in it.
func startBenchAgent(b *testing.B, ns, dir, mode string, cg *netns.MemoryCgroup) *netns.Proc {
	argv := []string{nodenetBin, "agent", "--manifests", dir,
		"--hostname-override", "bench-node", "--cluster-cidr", "10.128.0.0/9",
		"--healthz-bind-address", "127.0.0.1:10256", "--metrics-bind-address", "127.0.0.1:10249",
		"--iptables-min-sync-period", "0s", "--proxy-mode", mode}
	var agent *netns.Proc
	if cg != nil {
		agent = netns.Start(b, "", "agent", cg.Wrap(ns, argv)...)
	} else {
		agent = netns.Start(b, ns, "agent", argv...)
	}
	agent.LogOnFailure(b)
	return agent
}

// measureOneEndpointChanges edits one endpoint rounds times and returns
// the median duration of the partial sync each edit caused.
func measureOneEndpointChanges(b *testing.B, ns, dir string, c cluster, rounds int) float64 {
	var durations []float64
	for r := 1; r <= rounds; r++ {
		sync, _ := changeOneEndpoint(b, ns, dir, c, r)
		durations = append(durations, sync)
	}
	sort.Float64s(durations)
	return durations[len(durations)/2]
}

// changeOneEndpoint moves the first Service's endpoints (round r picks
// which way) and returns the partial sync's mean duration and the wall
// time from the write to the sync done.
func changeOneEndpoint(b *testing.B, ns, dir string, c cluster, r int) (syncSeconds float64, wall time.Duration) {
	before, err := scrape(ns)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := c.writeFile(dir, 0, 10*((r+1)%2)); err != nil { // r=0: away from the initial write
		b.Fatal(err)
	}
	after := waitMetric(b, ns, partialCount, before[partialCount]+1, time.Minute)
	wall = time.Since(start)
	return (after[partialSum] - before[partialSum]) / (after[partialCount] - before[partialCount]), wall
}

func waitMetric(b *testing.B, ns, name string, atLeast float64, timeout time.Duration) map[string]float64 {
	var m map[string]float64
	netns.Eventually(b, timeout, name, func() error {
		var err error
		if m, err = scrape(ns); err != nil {
			return err
		}
		if m[name] < atLeast {
			return fmt.Errorf("%s = %v, want >= %v", name, m[name], atLeast)
		}
		return nil
	})
	return m
}

// checkRulesInKernel proves the measured sync really programmed every
// Service: one DNAT rule per endpoint in nodenet's shard chains.
func checkRulesInKernel(b *testing.B, ns string, c cluster) {
	out, err := netns.Exec(ns, "iptables-save", "-t", "nat")
	if err != nil {
		b.Fatal(err)
	}
	got := countLines(out, "-j DNAT")
	if want := c.services * c.endpointsPer; got != want {
		b.Fatalf("kernel has %d DNAT rules, want %d", got, want)
	}
}

// checkNFTablesInKernel proves the nftables sync programmed every
// Service: one DNAT rule per Service into its endpoint map, and every
// endpoint an element of those maps.
func checkNFTablesInKernel(b *testing.B, ns string, c cluster) {
	out, err := netns.Exec(ns, "nft", "list", "table", "ip", "nodenet")
	if err != nil {
		b.Fatal(err)
	}
	if got := countLines(out, " dnat ip to numgen random mod "); got != c.services {
		b.Fatalf("kernel has %d DNAT rules, want %d", got, c.services)
	}
	if got, want := strings.Count(out, " . 8080"), c.services*c.endpointsPer; got != want {
		b.Fatalf("kernel has %d endpoints in its endpoint maps, want %d", got, want)
	}
}
