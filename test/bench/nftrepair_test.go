//go:build e2e

package bench

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// BenchmarkNFTablesTamperRepair starts the nftables backend on 10k
// Services x 10 endpoints with --detect-tampering (the default), then
// reports its CPU over one idle minute, and the time to repair (and the
// agent CPU it took) when someone flushes one Service chain or deletes
// one element of the ClusterIP map. Each repair must rewrite that object
// alone: the benchmark fails when a full sync ran.
func BenchmarkNFTablesTamperRepair(b *testing.B) {
	c := cluster{services: 10000, endpointsPer: 10}
	for i := 0; i < b.N; i++ {
		runNFTRepairBench(b, c)
	}
}

func runNFTRepairBench(b *testing.B, c cluster) {
	dir := b.TempDir()
	if err := c.write(dir); err != nil {
		b.Fatal(err)
	}
	ns := netns.New(b, netns.UniquePrefix("b")+"-node")
	ns.Run(b, "ip", "link", "set", "lo", "up")
	agent := netns.Start(b, ns.Name, "agent", nodenetBin, "agent", "--manifests", dir,
		"--hostname-override", "bench-node", "--cluster-cidr", "10.128.0.0/9",
		"--healthz-bind-address", "127.0.0.1:10256", "--metrics-bind-address", "127.0.0.1:10249",
		"--proxy-mode", "nftables")
	defer agent.Stop()
	agent.LogOnFailure(b)
	waitMetric(b, ns.Name, fullCount, 1, 5*time.Minute)
	checkNFTablesInKernel(b, ns.Name, c)
	before, err := cpuSeconds(agent.PID())
	if err != nil {
		b.Fatal(err)
	}
	time.Sleep(idleWindow) // the measurement itself: CPU used while idle
	after, err := cpuSeconds(agent.PID())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(after-before, "idle-cpu-s/min")

	chain := serviceChain(b, ns.Name, "svc-", "bench/svc-0/tcp/http")
	key := fmt.Sprintf("{ %s . tcp . 80 }", clusterIP(0))
	for _, r := range []struct {
		unit, tamper string
		state        func() (string, error)
	}{
		{"chain-repair", "flush chain ip nodenet " + chain, func() (string, error) {
			return netns.Exec(ns.Name, "nft", "list", "chain", "ip", "nodenet", chain)
		}},
		{"element-repair", "delete element ip nodenet service-ips " + key, func() (string, error) {
			return netns.Exec(ns.Name, "nft", "get", "element", "ip", "nodenet", "service-ips", key)
		}},
	} {
		took, cpu := timeNFTRepair(b, ns.Name, agent.PID(), r.tamper, r.state)
		b.ReportMetric(took.Seconds(), r.unit+"-s")
		b.ReportMetric(cpu, r.unit+"-cpu-s")
	}
}

// timeNFTRepair runs tamper (nft syntax) in ns and returns how long the
// agent took to make state what it was, and the CPU it used meanwhile;
// it fails the benchmark if that took a full sync.
func timeNFTRepair(b *testing.B, ns string, pid int, tamper string, state func() (string, error)) (time.Duration, float64) {
	want, err := state()
	if err != nil {
		b.Fatal(err)
	}
	fulls := waitMetric(b, ns, fullCount, 1, time.Second)[fullCount]
	cpu0, err := cpuSeconds(pid)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	netns.Run(b, ns, "nft", tamper)
	netns.Eventually(b, 30*time.Second, "repaired: "+tamper, func() error {
		if got, _ := state(); got != want {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	took := time.Since(start)
	cpu1, err := cpuSeconds(pid)
	if err != nil {
		b.Fatal(err)
	}
	if m := waitMetric(b, ns, fullCount, 1, time.Second); m[fullCount] != fulls {
		b.Fatalf("%s: repaired by a full sync", tamper)
	}
	return took, cpu1 - cpu0
}

// serviceChain is the nftables chain with prefix whose name ends in
// suffix (namespace/name/protocol/port name).
func serviceChain(b *testing.B, ns, prefix, suffix string) string {
	out := netns.Run(b, ns, "nft", "list", "chains", "ip")
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "chain" && strings.HasPrefix(f[1], prefix) && strings.HasSuffix(f[1], suffix) {
			return f[1]
		}
	}
	b.Fatalf("no chain %s…%s", prefix, suffix)
	return ""
}
