package cni

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// TimingLogEnv names a file to which every command appends one line:
// "<CMD> <total µs> <phase>=<µs> ... startcpu=<µs> cpu=<µs> childcpu=<µs>",
// measured inside the plugin. cpu is the plugin process's own user+sys time
// since exec (Go start-up and package init included), startcpu the part of
// it spent before the command began; childcpu that of the processes it ran
// (iptables-restore, -save). Benchmarks read it; it is off (and costs
// nothing) unless the variable is set.
const TimingLogEnv = "NODENET_CNI_TIMING_LOG"

// StopAfterEnv, for crash tests only, names a phase (as in the timing log:
// ipam, veth, port, plumb, ...) after which the plugin stops itself with
// SIGSTOP, so a test can SIGKILL it at that exact point, as an OOM kill or
// a node crash would. It is honoured only with the timing log on
// (TimingLogEnv), so a stray variable alone cannot freeze ADDs on a node.
const StopAfterEnv = "NODENET_CNI_TEST_STOP_AFTER"

// phaseTrace records where one command's time goes. A plugin process runs
// exactly one command, so a package-level trace is enough.
type phaseTrace struct {
	last      time.Time
	startCPU  time.Duration
	phases    []string
	stopAfter string
}

var trace phaseTrace

func (p *phaseTrace) begin() {
	p.last, p.phases = time.Now(), nil
	if os.Getenv(TimingLogEnv) != "" {
		p.startCPU = cpuTime(syscall.RUSAGE_SELF)
		p.stopAfter = os.Getenv(StopAfterEnv)
	}
}

// mark closes the phase that ended now under name.
func (p *phaseTrace) mark(name string) {
	now := time.Now()
	p.phases = append(p.phases, fmt.Sprintf("%s=%d", name, now.Sub(p.last).Microseconds()))
	p.last = now
	if name == p.stopAfter {
		_ = syscall.Kill(syscall.Getpid(), syscall.SIGSTOP)
	}
}

func logTiming(name string, d time.Duration) {
	path := os.Getenv(TimingLogEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %d %s startcpu=%d cpu=%d childcpu=%d\n", name, d.Microseconds(), strings.Join(trace.phases, " "),
		trace.startCPU.Microseconds(), cpuTime(syscall.RUSAGE_SELF).Microseconds(), cpuTime(syscall.RUSAGE_CHILDREN).Microseconds())
}

func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
