//go:build e2e

package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// idleWindow is how long the idle agent's CPU time is measured.
const idleWindow = time.Minute

// BenchmarkIdleTamperDetection measures what tamper detection costs an
// agent with 10k Services x 10 endpoints (and the firewall on) when
// nothing changes: its CPU seconds over one idle minute, with
// --detect-tampering and without. With it, it also reports the time to
// repair a flushed shard chain at that size.
func BenchmarkIdleTamperDetection(b *testing.B) {
	c := cluster{services: 10000, endpointsPer: 10}
	for _, detect := range []bool{true, false} {
		b.Run(fmt.Sprintf("detect=%t", detect), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runIdleBench(b, c, detect)
			}
		})
	}
}

func runIdleBench(b *testing.B, c cluster, detect bool) {
	dir := b.TempDir()
	if err := c.write(dir); err != nil {
		b.Fatal(err)
	}
	ns := netns.New(b, netns.UniquePrefix("b")+"-node")
	ns.Run(b, "ip", "link", "set", "lo", "up")
	agent := netns.Start(b, ns.Name, "agent", nodenetBin, "agent", "--manifests", dir,
		"--hostname-override", "bench-node", "--cluster-cidr", "10.128.0.0/9",
		"--healthz-bind-address", "127.0.0.1:10256", "--metrics-bind-address", "127.0.0.1:10249",
		"--detect-tampering="+strconv.FormatBool(detect))
	defer agent.Stop()
	agent.LogOnFailure(b)
	waitMetric(b, ns.Name, fullCount, 1, 5*time.Minute)
	checkRulesInKernel(b, ns.Name, c)
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
	if detect {
		b.ReportMetric(shardRepair(b, ns.Name).Seconds(), "shard-repair-s")
	}
}

// shardRepair flushes one nat shard chain and returns how long the agent
// took to fill it again.
func shardRepair(b *testing.B, ns string) time.Duration {
	const shard = "NODENET-SVC-0A"
	rules := func() int {
		out, err := netns.Exec(ns, "iptables", "-t", "nat", "-S", shard)
		if err != nil {
			b.Fatal(err)
		}
		return countLines(out, "-A "+shard)
	}
	want := rules()
	if want == 0 {
		b.Fatalf("%s is empty", shard)
	}
	start := time.Now()
	netns.Run(b, ns, "iptables", "-w", "-t", "nat", "-F", shard)
	netns.Eventually(b, 30*time.Second, shard+" refilled", func() error {
		if got := rules(); got != want {
			return fmt.Errorf("%d rules, want %d", got, want)
		}
		return nil
	})
	return time.Since(start)
}

// cpuSeconds is a process's user + system CPU time (/proc/PID/stat
// utime and stime, in clock ticks of 1/100 s).
func cpuSeconds(pid int) (float64, error) { return statCPU(pid, 11) }

// cpuSecondsWithChildren adds the CPU time of the children it waited
// for (cutime and cstime: nft, iptables-restore).
func cpuSecondsWithChildren(pid int) (float64, error) {
	own, err := statCPU(pid, 11)
	if err != nil {
		return 0, err
	}
	children, err := statCPU(pid, 13)
	return own + children, err
}

// statCPU sums the two clock-tick fields of /proc/PID/stat from index i
// (counted after the command name).
func statCPU(pid, i int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from its ")".
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	a, err1 := strconv.ParseFloat(f[i], 64)
	b, err2 := strconv.ParseFloat(f[i+1], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat: %v %v", pid, err1, err2)
	}
	return (a + b) / 100, nil
}
