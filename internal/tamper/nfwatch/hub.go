package nfwatch

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
	"k8s.io/klog/v2"
)

// retryAfter is the wait before subscribing again after the subscription
// broke.
const retryAfter = time.Second

// receiveBuffer is the socket's receive buffer. A 10k-Service full sync
// announces ~130k rules in one transaction; the default ~200 KiB
// overflows at once, and an overflow means "lost", which makes every
// watcher check its state. 16 MiB holds ~100k announcements, which the
// reader drains as they come.
const receiveBuffer = 16 << 20

type watcher struct {
	match  func(Change) bool
	notify func(Report)
}

// hub and own are zero values, their maps made on first use: a package
// variable with an initializer gives the package an init function, and
// Go runs this package's (it sorts before internal/plugininit and has
// few imports) before the CNI plugin's, which must exit first
// (test/cni's TestPluginExitsBeforeAgentInit).
var hub struct {
	sync.Mutex
	watchers map[*watcher]bool
	stop     context.CancelFunc // of the running subscription, nil when none
}

// Watch calls notify, until ctx is done, for every transaction by another
// process in which match accepts a change (with the accepted changes),
// and with Lost after announcements were missed. notify runs on the
// shared reader: it must return quickly (record, poke a runner).
//
// The subscription is in the network namespace of the thread that calls
// Watch first (tests run it inside a namespace with a locked thread);
// later watchers share it.
func Watch(ctx context.Context, match func(Change) bool, notify func(Report)) {
	w := &watcher{match: match, notify: notify}
	hub.Lock()
	if hub.watchers == nil {
		hub.watchers = map[*watcher]bool{}
	}
	hub.watchers[w] = true
	if hub.stop == nil {
		subCtx, stop := context.WithCancel(context.Background())
		hub.stop = stop
		netns, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			klog.ErrorS(err, "Cannot open this thread's network namespace; listening to the process's")
		}
		go subscribe(subCtx, netns)
	}
	hub.Unlock()
	<-ctx.Done()
	hub.Lock()
	delete(hub.watchers, w)
	if len(hub.watchers) == 0 && hub.stop != nil {
		hub.stop()
		hub.stop = nil
	}
	hub.Unlock()
}

// subscribe keeps one subscription open in netns (nil: the process's)
// until ctx is done.
func subscribe(ctx context.Context, netns *os.File) {
	if netns != nil {
		defer netns.Close()
	}
	for ctx.Err() == nil {
		err := listen(ctx, netns)
		if ctx.Err() != nil {
			return
		}
		klog.V(2).InfoS("Listening to nf_tables change notifications failed; subscribing again", "err", err)
		deliver(Report{Lost: true})
		select {
		case <-ctx.Done():
		case <-time.After(retryAfter):
		}
	}
}

func listen(ctx context.Context, netns *os.File) error {
	cfg := &netlink.Config{}
	if netns != nil {
		cfg.NetNS = int(netns.Fd())
	}
	conn, err := netlink.Dial(unix.NETLINK_NETFILTER, cfg)
	if err != nil {
		return fmt.Errorf("nf_tables netlink: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // unblocks Receive
	defer func() {
		if stop() {
			conn.Close()
		}
	}()
	setReceiveBuffer(conn)
	if err := conn.JoinGroup(unix.NFNLGRP_NFTABLES); err != nil {
		return fmt.Errorf("subscribe to NFNLGRP_NFTABLES: %w", err)
	}
	var b batch
	for {
		msgs, err := conn.Receive()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err // ENOBUFS: the buffer overflowed, announcements were lost
		}
		for _, m := range msgs {
			b.add(m)
		}
	}
}

// batch collects one transaction's changes until its NEWGEN says who
// made it. Changes are kept once per object (a 130k-rule restore touches
// a few hundred chains).
type batch struct {
	seen    map[Change]bool
	changes []Change
}

func (b *batch) add(m netlink.Message) {
	if uint16(m.Header.Type)>>8 != unix.NFNL_SUBSYS_NFTABLES {
		return
	}
	t := uint16(m.Header.Type) & 0xff
	if t == unix.NFT_MSG_NEWGEN {
		pid, comm := genOf(m.Data)
		if len(b.changes) > 0 && !isOurs(pid) {
			deliverChanges(b.changes, fmt.Sprintf("%s (pid %d)", comm, pid))
		}
		b.seen, b.changes = nil, nil
		return
	}
	c, ok := changeOf(t, m.Data)
	if !ok || b.seen[c] {
		return
	}
	if b.seen == nil {
		b.seen = map[Change]bool{}
	}
	b.seen[c] = true
	b.changes = append(b.changes, c)
}

func deliverChanges(changes []Change, by string) {
	hub.Lock()
	defer hub.Unlock()
	for w := range hub.watchers {
		r := Report{By: by}
		for _, c := range changes {
			if !w.match(c) {
				continue
			}
			if len(r.Changes) == maxChanges {
				r.Truncated = true
				break
			}
			r.Changes = append(r.Changes, c)
		}
		if len(r.Changes) > 0 {
			w.notify(r)
		}
	}
}

func deliver(r Report) {
	hub.Lock()
	defer hub.Unlock()
	for w := range hub.watchers {
		w.notify(r)
	}
}

// setReceiveBuffer forces the buffer beyond net.core.rmem_max (root only;
// on failure the default stays, and overflows are reported as Lost).
func setReceiveBuffer(nc *netlink.Conn) {
	raw, err := nc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, receiveBuffer) != nil {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, receiveBuffer)
		}
	})
}
