package netns

import (
	"runtime"

	vnetns "github.com/vishvananda/netns"
)

// Within runs fn on a fresh OS thread switched into namespace name, so
// that everything fn does from it (execs, netlink sockets, /proc/sys)
// happens there. The thread is thrown away afterwards rather than
// switched back: a thread left in a test namespace must never run other
// goroutines.
func Within(name string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		h, err := vnetns.GetFromName(name)
		if err != nil {
			errc <- err
			return
		}
		defer h.Close()
		if err := vnetns.Set(h); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}
