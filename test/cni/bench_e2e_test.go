//go:build e2e

package cnie2e

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
)

// What is timed is the plugin as a runtime drives it: libcni's exec of the
// plugin and the plugin's own work. Creating pod network namespaces is the
// runtime's job, so it happens before the clock starts; the namespaces are
// made once and reused, so the kernel's asynchronous teardown of old ones
// never runs inside a timed region and a long run does not pile up
// hundreds of them.

// Each benchmark runs nodenet and, as the anchor, the reference bridge and
// host-local plugins it replaces (referencePlugins), on the same config
// with only the type changed. The reference plugin has no timing log, so
// its in-plugin figures are absent.
var implementations = []string{"nodenet", "reference"}

// benchEnv is an env whose network config runs impl.
func benchEnv(b *testing.B, impl string, masq bool) (*env, *libcni.NetworkConfigList) {
	e := newEnv(b)
	mutate := func(p map[string]any) { p["ipMasq"] = masq }
	if impl == "reference" {
		e.usePlugins(referencePlugins(b))
		mutate = func(p map[string]any) { p["ipMasq"], p["type"] = masq, "bridge" }
	}
	return e, e.confList("1.1.0", mutate)
}

func BenchmarkAddDel(b *testing.B) {
	for _, impl := range implementations {
		for _, masq := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/ipMasq=%v", impl, masq), func(b *testing.B) {
				e, l := benchEnv(b, impl, masq)
				log := timingLog(b)
				pods := e.pods("b", 4)
				var adds, dels []time.Duration
				var cpu cpuSplit
				for i := 0; i < b.N; i++ {
					r := rt(fmt.Sprintf("c%d", i), pods[i%len(pods)])
					c0 := takeCPU()
					t0 := time.Now()
					e.mustAdd(l, r)
					t1 := time.Now()
					cpu.add(c0)
					if err := e.del(l, r); err != nil {
						b.Fatal(err)
					}
					adds, dels = append(adds, t1.Sub(t0)), append(dels, time.Since(t1))
				}
				cpu.report(b, log, b.N)
				b.ReportMetric(pct(adds, .5), "libcni-add-p50-ms")
				b.ReportMetric(pct(dels, .5), "libcni-del-p50-ms")
				reportPlugin(b, log)
				logPhases(b, pluginRecords(b, log, "ADD"))
			})
		}
	}
}

// BenchmarkConcurrentAdd20 measures pods/s with 20 ADDs in flight, from
// the first start to the last finish; the DELs between rounds are not
// timed.
func BenchmarkConcurrentAdd20(b *testing.B) {
	for _, impl := range implementations {
		for _, masq := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/ipMasq=%v", impl, masq), func(b *testing.B) {
				e, l := benchEnv(b, impl, masq)
				log := timingLog(b)
				const n = 20
				pods := e.pods("i", n)
				var total time.Duration
				var cpu cpuSplit
				for i := 0; i < b.N; i++ {
					rts := make([]*libcni.RuntimeConf, n)
					for j := range rts {
						rts[j] = rt(fmt.Sprintf("i%dc%d", i, j), pods[j])
					}
					c0 := takeCPU()
					t0 := time.Now()
					e.each(rts, func(r *libcni.RuntimeConf) { e.mustAdd(l, r) })
					total += time.Since(t0)
					cpu.add(c0)
					e.each(rts, func(r *libcni.RuntimeConf) { _ = e.del(l, r) })
				}
				b.ReportMetric(float64(n*b.N)/total.Seconds(), "pods/s")
				// What the idle cores could sustain at this CPU cost per ADD.
				b.ReportMetric(float64(runtime.NumCPU())*float64(n*b.N)/cpu.children.Seconds(), "cpu-bound-pods/s")
				cpu.report(b, log, n*b.N)
				reportPlugin(b, log)
			})
		}
	}
}

// pods creates n pod namespaces for a benchmark to reuse.
func (e *env) pods(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = e.pod(fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}

// each runs f for every runtime config at once and waits.
func (e *env) each(rts []*libcni.RuntimeConf, f func(*libcni.RuntimeConf)) {
	var wg sync.WaitGroup
	for _, r := range rts {
		wg.Add(1)
		go func() { defer wg.Done(); f(r) }()
	}
	wg.Wait()
}

func reportPlugin(b *testing.B, log string) {
	add := pluginRecords(b, log, "ADD")
	if len(add.total) == 0 {
		return // the reference plugin logs no timing
	}
	b.ReportMetric(pct(add.total, .5), "plugin-add-p50-ms")
	b.ReportMetric(pct(add.total, .9), "plugin-add-p90-ms")
	if del := pluginRecords(b, log, "DEL"); len(del.total) > 0 {
		b.ReportMetric(pct(del.total, .5), "plugin-del-p50-ms")
		b.ReportMetric(pct(del.total, .9), "plugin-del-p90-ms")
	}
}

// logPhases prints the median of each phase of the plugin's ADD (in the
// order it runs them), for BENCH.md's breakdown.
func logPhases(b *testing.B, r records) {
	if len(r.order) == 0 {
		return
	}
	var parts []string
	for _, k := range r.order {
		parts = append(parts, fmt.Sprintf("%s=%.2f", k, pct(r.phases[k], .5)))
	}
	b.Logf("ADD phase p50 (ms): %s", strings.Join(parts, " "))
}
