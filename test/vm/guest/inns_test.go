//go:build vmguest

package guest

import (
	"runtime"
	"testing"

	"github.com/vishvananda/netns"
)

// inNS runs fn with the calling OS thread in namespace name: netlink
// sockets opened, /proc/sys written and commands started there act in
// that namespace.
func inNS(t testing.TB, name string, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	target, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := netns.Set(orig); err != nil {
			panic(err) // this thread must not go back to the pool in the wrong namespace
		}
	}()
	fn()
}
