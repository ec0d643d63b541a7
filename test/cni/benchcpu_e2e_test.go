//go:build e2e

package cnie2e

import (
	"bufio"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nodenet/nodenet/cni"
)

// timingLog points the plugin's in-process timing at a fresh file; libcni
// passes our environment through to the plugin.
// The file exists from the start: a plugin that logs nothing (the
// reference) leaves it empty.
func timingLog(b *testing.B) string {
	path := b.TempDir() + "/timing.log"
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Setenv(cni.TimingLogEnv, path)
	return path
}

// records are one command's lines of the timing log.
type records struct {
	total    []time.Duration // in-plugin wall time
	cpu      time.Duration   // sum of the plugin processes' own CPU
	startCPU time.Duration   // the part of cpu spent before the command began
	childCPU time.Duration   // sum of what they exec'd (iptables-restore)
	phases   map[string][]time.Duration
	order    []string // phase names in the order the plugin logs them
}

// pluginRecords parses "<CMD> <µs> <phase>=<µs>... startcpu=<µs> cpu=<µs> childcpu=<µs>".
func pluginRecords(b *testing.B, path, cmd string) records {
	f, err := os.Open(path)
	if err != nil {
		b.Fatalf("timing log: %v", err)
	}
	defer f.Close()
	r := records{phases: map[string][]time.Duration{}}
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 || fields[0] != cmd {
			continue
		}
		r.total = append(r.total, micros(fields[1]))
		for _, kv := range fields[2:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "startcpu":
				r.startCPU += micros(v)
			case "cpu":
				r.cpu += micros(v)
			case "childcpu":
				r.childCPU += micros(v)
			default:
				if _, seen := r.phases[k]; !seen {
					r.order = append(r.order, k)
				}
				r.phases[k] = append(r.phases[k], micros(v))
			}
		}
	}
	return r
}

func micros(s string) time.Duration {
	n, _ := strconv.Atoi(s)
	return time.Duration(n) * time.Microsecond
}

func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[int(float64(len(s)-1)*p)]) / float64(time.Millisecond)
}

// cpuSample is the CPU time used so far by this process (the runtime side:
// libcni, its cache files, the exec) and by its reaped children (the
// plugin, and through it the iptables processes it reaped).
type cpuSample struct{ self, children time.Duration }

func takeCPU() cpuSample {
	return cpuSample{self: rusage(syscall.RUSAGE_SELF), children: rusage(syscall.RUSAGE_CHILDREN)}
}

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuSplit sums the CPU of the timed ADDs.
type cpuSplit struct{ self, children time.Duration }

func (c *cpuSplit) add(since cpuSample) {
	now := takeCPU()
	c.self += now.self - since.self
	c.children += now.children - since.children
}

// report splits CPU per ADD: the plugin process itself (from its own
// getrusage, Go start-up and init included), the part of that spent
// before the ADD began (exec, runtime, package init), the iptables processes it ran,
// the rest of the child CPU (process exit, which the plugin cannot see),
// and the runtime side (this test process).
func (c *cpuSplit) report(b *testing.B, log string, adds int) {
	r := pluginRecords(b, log, "ADD")
	per := func(d time.Duration) float64 { return float64(d) / float64(adds) / float64(time.Millisecond) }
	b.ReportMetric(per(c.children), "add-cpu-ms/pod")
	b.ReportMetric(per(c.self), "runtime-cpu-ms/pod")
	if len(r.total) == 0 {
		return // no timing log (the reference plugin): no split
	}
	b.ReportMetric(per(r.cpu), "plugin-cpu-ms/pod")
	b.ReportMetric(per(r.startCPU), "start-cpu-ms/pod")
	b.ReportMetric(per(r.childCPU), "iptables-cpu-ms/pod")
	b.ReportMetric(per(c.children-r.cpu-r.childCPU), "rest-cpu-ms/pod")
}
