package source

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"k8s.io/klog/v2"
)

// redialInterval is how often a refused connection to the API server is
// tried again.
const redialInterval = 250 * time.Millisecond

// serverDialer dials the API server and, while it refuses connections
// (stopped, restarting, being upgraded), keeps trying every
// redialInterval until it accepts or the request's context ends, instead
// of failing at once.
//
// Why: client-go's reflectors back off exponentially on every refused
// watch (0.8 s doubling up to 30 s, with jitter up to 60 s) and that
// backoff is not configurable through shared informers. After a 60 s
// outage their next try came 24-47 s after the server was back, so
// changes made meanwhile waited that long. A dial that waits is never
// refused: the watch goes out within redialInterval of the server
// listening, with the backoff still at its first step.
type serverDialer struct {
	dialer  net.Dialer
	waiting atomic.Bool // logged that the server refuses; reset once it accepts
}

func newServerDialer() *serverDialer {
	return &serverDialer{dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}
}

func (d *serverDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	for {
		conn, err := d.dialer.DialContext(ctx, network, addr)
		if err == nil {
			if d.waiting.CompareAndSwap(true, false) {
				klog.InfoS("The API server accepts connections again", "address", addr)
			}
			return conn, nil
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, err
		}
		if d.waiting.CompareAndSwap(false, true) {
			klog.InfoS("The API server refuses connections; waiting for it, the rules in place stay", "address", addr)
		}
		t := time.NewTimer(redialInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}
