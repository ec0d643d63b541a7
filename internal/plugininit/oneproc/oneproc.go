// Package oneproc gives a CNI plugin process one P before anything else
// initializes. See package plugininit, which imports it.
//
// It depends on nothing but the runtime and syscall, so it is about the
// 16th of some 160 packages to initialize (GODEBUG=inittrace=1). Changing
// GOMAXPROCS stops the world and frees the extra P's caches: done here,
// the heap is nearly empty and no other thread has started; done after
// the other inits, it cost 6% of the plugin's CPU.
package oneproc

import (
	"runtime"
	"syscall"
)

func init() {
	if v, _ := syscall.Getenv("CNI_COMMAND"); v != "" {
		runtime.GOMAXPROCS(1)
	}
}
