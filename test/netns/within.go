package netns

import (
	"runtime"

	vnetns "github.com/vishvananda/netns"
)

// Within runs fn on a fresh OS thread switched into namespace ns, so that
// everything fn does from that goroutine (iptables execs, netlink sockets
// it opens, /proc/sys writes) happens there. The thread is thrown away
// afterwards rather than switched back: a goroutine that exits while
// locked takes its thread with it, so no other goroutine ever runs in ns
// by accident. fn must not call t.Fatal (it is not the test's goroutine).
func Within(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		h, err := vnetns.GetFromName(ns)
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
