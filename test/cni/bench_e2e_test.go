//go:build e2e

package cnie2e

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/nodenet/nodenet/cni"
)

// timingLog points the plugin's in-process timing at a fresh file; libcni
// passes our environment through to the plugin.
func timingLog(b *testing.B) string {
	path := b.TempDir() + "/timing.log"
	b.Setenv(cni.TimingLogEnv, path)
	return path
}

// pluginTimes returns the in-plugin durations logged for cmd.
func pluginTimes(b *testing.B, path, cmd string) []time.Duration {
	f, err := os.Open(path)
	if err != nil {
		b.Fatalf("timing log: %v", err)
	}
	defer f.Close()
	var out []time.Duration
	s := bufio.NewScanner(f)
	for s.Scan() {
		f := strings.Fields(s.Text()) // "<CMD> <µs> <phase>=<µs>..."
		if len(f) >= 2 && f[0] == cmd {
			n, _ := strconv.Atoi(f[1])
			out = append(out, time.Duration(n)*time.Microsecond)
		}
	}
	return out
}

func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[int(float64(len(s)-1)*p)]) / float64(time.Millisecond)
}

// childCPU is the user+sys time of all reaped child processes (the plugin
// and the iptables-restore it runs): a load-independent cost per pod.
func childCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkAddDel(b *testing.B) {
	for _, masq := range []bool{true, false} {
		b.Run(fmt.Sprintf("ipMasq=%v", masq), func(b *testing.B) {
			e := newEnv(b)
			log := timingLog(b)
			l := e.confList("1.1.0", func(p map[string]any) { p["ipMasq"] = masq })
			var adds, dels []time.Duration
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				p := e.pod(fmt.Sprintf("b%d", i))
				r := rt(fmt.Sprintf("c%d", i), p)
				b.StartTimer()
				c0 := childCPU()
				t0 := time.Now()
				e.mustAdd(l, r)
				t1 := time.Now()
				cpu += childCPU() - c0
				if err := e.del(l, r); err != nil {
					b.Fatal(err)
				}
				adds, dels = append(adds, t1.Sub(t0)), append(dels, time.Since(t1))
			}
			b.ReportMetric(float64(cpu)/float64(b.N)/float64(time.Millisecond), "add-cpu-ms/pod")
			b.ReportMetric(pct(adds, .5), "libcni-add-p50-ms")
			b.ReportMetric(pct(dels, .5), "libcni-del-p50-ms")
			b.ReportMetric(pct(pluginTimes(b, log, "ADD"), .5), "plugin-add-p50-ms")
			b.ReportMetric(pct(pluginTimes(b, log, "ADD"), .9), "plugin-add-p90-ms")
			b.ReportMetric(pct(pluginTimes(b, log, "DEL"), .5), "plugin-del-p50-ms")
		})
	}
}

// BenchmarkConcurrentAdd20 measures pods/s with 20 ADDs in flight.
func BenchmarkConcurrentAdd20(b *testing.B) {
	e := newEnv(b)
	log := timingLog(b)
	l := e.confList("1.1.0", nil)
	const n = 20
	var total, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		paths := make([]string, n)
		rts := make([]*libcni.RuntimeConf, n)
		for j := range paths {
			paths[j] = e.pod(fmt.Sprintf("i%dp%d", i, j))
			rts[j] = rt(fmt.Sprintf("i%dc%d", i, j), paths[j])
		}
		b.StartTimer()
		c0 := childCPU()
		t0 := time.Now()
		var wg sync.WaitGroup
		for j := 0; j < n; j++ {
			wg.Add(1)
			go func() { defer wg.Done(); e.mustAdd(l, rts[j]) }()
		}
		wg.Wait()
		total += time.Since(t0)
		cpu += childCPU() - c0
		b.StopTimer()
		for j := 0; j < n; j++ {
			wg.Add(1)
			go func() { defer wg.Done(); _ = e.del(l, rts[j]) }()
		}
		wg.Wait()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "pods/s")
	// What 2 idle cores could sustain at this CPU cost per ADD.
	b.ReportMetric(float64(runtime.NumCPU())*float64(n*b.N)/cpu.Seconds(), "cpu-bound-pods/s")
	b.ReportMetric(pct(pluginTimes(b, log, "ADD"), .5), "plugin-add-p50-ms")
}
