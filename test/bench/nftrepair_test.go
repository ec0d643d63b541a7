//go:build e2e

package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/knftables"

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
	key := []string{clusterIP(0).String(), "tcp", "80"}
	for _, r := range []struct {
		unit, tamper string
		state        func(nft knftables.Interface) (string, error)
	}{
		{"chain-repair", "flush chain ip nodenet " + chain, func(nft knftables.Interface) (string, error) {
			rules, err := nft.ListRules(context.Background(), chain)
			return fmt.Sprintf("%d rules", len(rules)), err
		}},
		{"element-repair", "delete element ip nodenet service-ips { " + strings.Join(key, " . ") + " }", func(nft knftables.Interface) (string, error) {
			els, err := nft.ListElements(context.Background(), "map", "service-ips")
			for _, e := range els {
				if strings.Join(e.Key, " . ") == strings.Join(key, " . ") {
					return "present: " + strings.Join(e.Value, " "), err
				}
			}
			return "absent", err
		}},
	} {
		fulls := waitMetric(b, ns.Name, fullCount, 1, time.Second)[fullCount]
		cpu0, err := cpuSeconds(agent.PID())
		if err != nil {
			b.Fatal(err)
		}
		took, nftTook := timeNFTRepair(b, ns.Name, r.tamper, r.state)
		cpu1, err := cpuSeconds(agent.PID())
		if err != nil {
			b.Fatal(err)
		}
		if m := waitMetric(b, ns.Name, fullCount, 1, time.Second); m[fullCount] != fulls {
			b.Fatalf("%s: repaired by a full sync", r.tamper)
		}
		b.ReportMetric(took.Seconds(), r.unit+"-s")
		b.ReportMetric(nftTook.Seconds(), r.unit+"-nft-cli-s")
		b.ReportMetric(cpu1-cpu0, r.unit+"-cpu-s")
	}
}

// timeNFTRepair runs tamper (nft syntax) in ns and returns how long the
// agent took, from the nft command's return, to make state what it was,
// and how long that command took (the nft CLI loads the table first,
// seconds at 10k Services; the change is committed at its end). state
// reads through netlink (knftables' UseNetlink) from inside ns: `nft
// list` would itself take seconds.
func timeNFTRepair(b *testing.B, ns, tamper string, state func(knftables.Interface) (string, error)) (repair, cli time.Duration) {
	err := netns.Within(ns, func() error {
		nft, err := knftables.New(knftables.IPv4Family, "nodenet", knftables.UseNetlink)
		if err != nil {
			return err
		}
		want, err := state(nft)
		if err != nil {
			return err
		}
		start := time.Now()
		if _, err := netns.Exec(ns, "nft", tamper); err != nil {
			return err
		}
		done := time.Now()
		cli = done.Sub(start)
		if err := netns.PollUntil(30*time.Second, 10*time.Millisecond, func() error {
			if got, err := state(nft); err != nil || got != want {
				return fmt.Errorf("not repaired: %s (%v), want %s", got, err, want)
			}
			return nil
		}); err != nil {
			return err
		}
		repair = time.Since(done)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return repair, cli
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
