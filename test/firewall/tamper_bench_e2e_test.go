//go:build e2e

package firewall

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nodenet/nodenet/netpol/firewall"
	"github.com/nodenet/nodenet/test/netns"
)

// BenchmarkTamperWatch measures what firewall.WatchTampering costs this
// process beside a kube-proxy-shaped nat table of 10k Services with 10
// endpoints each (120k rules, 20k chains): CPU while that table is
// restored (every rule is announced and decoded, then dropped as not the
// firewall's), and CPU over 10 s when nothing changes. The restore runs
// in a child process, which getrusage(RUSAGE_SELF) does not count.
func BenchmarkTamperWatch(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runTamperWatchBench(b, 10000, 10)
	}
}

func runTamperWatchBench(b *testing.B, services, endpoints int) {
	ns := newNode(b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	defer func() { cancel(); <-done }()
	var reports atomic.Int64
	var last atomic.Value
	seen := make(chan struct{}, 1)
	go func() {
		defer close(done)
		_ = within(b, ns.Name, func() error {
			firewall.WatchTampering(ctx, func(what string) {
				reports.Add(1)
				last.Store(what)
				select {
				case seen <- struct{}{}:
				default:
				}
			})
			return nil
		})
	}()
	netns.Eventually(b, 5*time.Second, "the watch listens", func() error {
		_, _ = ns.Exec("iptables", "-w", "-X", "NODENET-FW-PROBE")
		ns.Run(b, "iptables", "-w", "-N", "NODENET-FW-PROBE")
		select {
		case <-seen:
			return nil
		case <-time.After(300 * time.Millisecond):
			return fmt.Errorf("no report")
		}
	})
	reports.Store(0)

	before := cpuTime(b)
	start := time.Now()
	cmd := netns.Command(ns.Name, "iptables-restore", "-w")
	cmd.Stdin = strings.NewReader(natTable(services, endpoints))
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("iptables-restore: %v: %s", err, out)
	}
	// Let the watch drain what the restore announced.
	time.Sleep(2 * time.Second)
	b.ReportMetric(time.Since(start).Seconds(), "restore+2s-s")
	b.ReportMetric(float64((cpuTime(b) - before).Milliseconds()), "watch-cpu-restore-ms")
	// A flood can overflow the subscription's socket buffer: the watch
	// then reports "events lost" (the controller checks, finds nothing)
	// and listens again. Any other report would be a false alarm.
	if n := reports.Load(); n != 0 {
		b.Logf("%d reports during the restore, the last %q", n, last.Load())
		if last.Load() != "events lost" {
			b.Errorf("a nat-only change was reported as tampering")
		}
	}
	b.ReportMetric(float64(reports.Load()), "reports")
	before = cpuTime(b)
	time.Sleep(10 * time.Second) // the idle window being measured
	b.ReportMetric(float64((cpuTime(b)-before).Microseconds())/1000, "watch-cpu-idle-10s-ms")
}

// natTable is iptables-restore input shaped like kube-proxy's: a dispatch
// rule per Service, a chain per Service with one probability rule per
// endpoint, a chain per endpoint with its DNAT.
func natTable(services, endpoints int) string {
	var b strings.Builder
	b.WriteString("*nat\n:NNT-SERVICES - [0:0]\n")
	for s := range services {
		fmt.Fprintf(&b, ":NNT-SVC-%d - [0:0]\n", s)
		for e := range endpoints {
			fmt.Fprintf(&b, ":NNT-SEP-%d-%d - [0:0]\n", s, e)
		}
	}
	for s := range services {
		fmt.Fprintf(&b, "-A NNT-SERVICES -d 10.%d.%d.%d/32 -p tcp --dport 80 -j NNT-SVC-%d\n", 96+s>>16, (s>>8)&255, s&255, s)
		for e := range endpoints {
			fmt.Fprintf(&b, "-A NNT-SVC-%d -m statistic --mode random --probability %.5f -j NNT-SEP-%d-%d\n", s, 1/float64(endpoints-e), s, e)
			fmt.Fprintf(&b, "-A NNT-SEP-%d-%d -p tcp -j DNAT --to-destination 10.128.%d.%d:8080\n", s, e, (s*endpoints+e)>>8&255, (s*endpoints+e)&255)
		}
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// cpuTime is this process's user and system CPU so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
