package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// sendMain sends -n UDP datagrams to -addr without waiting for answers.
// Unlike dial it may send to a broadcast address (SO_BROADCAST) or a
// multicast group ("[ff02::1%eth0]:80", from -src rather than the
// link-local address the kernel would pick): the tests of broadcast and
// multicast under NetworkPolicy count what arrives on the receivers.
func sendMain(args []string) error {
	fs := flag.NewFlagSet("send", flag.ExitOnError)
	addr := fs.String("addr", "", "destination host:port")
	n := fs.Int("n", 1, "datagrams to send")
	src := fs.String("src", "", "source address (else the kernel's choice: link-local for ff02::/16)")
	dev := fs.String("dev", "", "send through this interface (SO_BINDTODEVICE): a pod without a default route has no route to 255.255.255.255 or 224.0.0.0/4")
	_ = fs.Parse(args)
	to, err := net.ResolveUDPAddr("udp", *addr)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1)
			if serr == nil && *dev != "" {
				serr = unix.BindToDevice(int(fd), *dev)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	network := "udp4"
	if to.IP.To4() == nil {
		network = "udp6"
	}
	conn, err := lc.ListenPacket(context.Background(), network, net.JoinHostPort(*src, "0"))
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	defer conn.Close()
	for range *n {
		if _, err := conn.WriteTo([]byte("nnt-send\n"), to); err != nil {
			return fmt.Errorf("send to %s: %w", to, err)
		}
	}
	return nil
}
