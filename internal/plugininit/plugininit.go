// Package plugininit tunes the Go runtime for a CNI plugin process before
// the rest of the binary initializes. Import it (blank) from cmd/nodenet
// only.
//
// A runtime execs the plugin once per ADD, DEL or CHECK; the process lives
// tens of milliseconds, and on a node starting pods its start-up is most of
// the plugin's CPU. The binary is also the agent, so it links the agent's
// packages, whose init functions start goroutines (log flushers, metrics).
// With more than one P, each new goroutine wakes an idle P, which starts an
// OS thread; the threads then park and wake through futexes and the
// scheduler spins between them. One P runs the same single-threaded work
// without that churn, and the plugin gains nothing from a second P: its
// concurrency (DEL's overlapping steps) is blocking syscalls, which hand
// their P off anyway.
//
// Measured on the 2-vCPU development VM (interleaved ADD+DEL runs, 160
// execs each): 43.3 -> 41.1 ms of plugin CPU per exec, a quarter fewer
// context switches. Turning the GC off (debug.SetGCPercent(-1)) saved
// nothing: GODEBUG=gctrace=1 shows no GC cycle in an ADD, DEL or VERSION
// (the heap stays under the 4 MB first goal), and importing runtime/debug
// would make this package initialize after os, fmt and a hundred others.
//
// Package initialization runs in dependency order, then by import path, so
// this package runs before the heavy k8s packages only because it depends
// on nothing but the runtime and syscall (check with GODEBUG=inittrace=1:
// it is about the 16th of 229).
package plugininit

import (
	"runtime"
	"syscall"
)

func init() {
	if v, _ := syscall.Getenv("CNI_COMMAND"); v == "" {
		return // the agent or a human: keep the defaults
	}
	runtime.GOMAXPROCS(1)
}
