package source

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestServerDialerWaitsForARefusingServer: a dial to a port nobody
// listens on yet returns once a listener appears there, not with
// ECONNREFUSED; a context that ends first gets an error.
func TestServerDialerWaitsForARefusingServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // refused from now on

	d := newServerDialer()
	ctx, cancel := context.WithTimeout(context.Background(), 3*redialInterval)
	defer cancel()
	// The refusal, or the deadline if it struck during an attempt.
	if _, err := d.DialContext(ctx, "tcp", addr); err == nil {
		t.Fatal("dial with a context ending while refused: no error")
	}

	done := make(chan error, 1)
	go func() {
		conn, err := d.DialContext(context.Background(), "tcp", addr)
		if err == nil {
			conn.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("dial returned (%v) while nothing listens", err)
	case <-time.After(2 * redialInterval):
	}
	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", addr, err)
	}
	defer l.Close()
	if err := <-done; err != nil {
		t.Fatalf("dial after the server came back: %v", err)
	}
}
