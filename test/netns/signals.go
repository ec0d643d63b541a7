package netns

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// live records what the harness made, so that an interrupted run (Ctrl-C,
// SIGTERM from a CI runner) can still remove it: t.Cleanup does not run
// when the test binary is killed by a signal.
var live = struct {
	sync.Mutex
	namespaces map[string]bool
	procs      map[*Proc]bool
}{namespaces: map[string]bool{}, procs: map[*Proc]bool{}}

func trackNS(name string, on bool) {
	live.Lock()
	defer live.Unlock()
	if on {
		live.namespaces[name] = true
	} else {
		delete(live.namespaces, name)
	}
}

func trackProc(p *Proc, on bool) {
	live.Lock()
	defer live.Unlock()
	if on {
		live.procs[p] = true
	} else {
		delete(live.procs, p)
	}
}

// CleanupOnSignal makes SIGINT and SIGTERM stop every process and delete
// every namespace the harness started or made, then exit 1. Call it from
// TestMain.
func CleanupOnSignal() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-c
		fmt.Fprintf(os.Stderr, "netns: %v: cleaning up before exiting\n", sig)
		// Copy under the lock: Stop's reaper goroutines untrack as we go.
		live.Lock()
		var procs []*Proc
		var names []string
		for p := range live.procs {
			procs = append(procs, p)
		}
		for name := range live.namespaces {
			names = append(names, name)
		}
		live.Unlock()
		for _, p := range procs {
			p.Stop()
		}
		for _, name := range names {
			_, _ = Exec("", "ip", "netns", "del", name)
		}
		os.Exit(1)
	}()
}

// Leftovers returns the namespaces the harness made that still exist
// (after all tests ran it should be none: TestMain can fail the run).
func Leftovers() []string {
	live.Lock()
	defer live.Unlock()
	var names []string
	for name := range live.namespaces {
		names = append(names, name)
	}
	return names
}
