package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// raMain sends one IPv6 router advertisement to ff02::1 on -dev: no
// default router, one prefix for address autoconfiguration. The firewall
// tests play a rogue pod with it.
func raMain(args []string) error {
	fs := flag.NewFlagSet("ra", flag.ExitOnError)
	dev := fs.String("dev", "eth0", "interface to send on")
	prefix := fs.String("prefix", "2001:db8:bad::/64", "prefix to advertise")
	_ = fs.Parse(args)
	p, err := netip.ParsePrefix(*prefix)
	if err != nil || !p.Addr().Is6() {
		return fmt.Errorf("ra: -prefix %q is not an IPv6 prefix", *prefix)
	}
	ifi, err := net.InterfaceByName(*dev)
	if err != nil {
		return fmt.Errorf("ra: %w", err)
	}
	return sendRA(ifi.Index, p.Masked())
}

// sendRA uses a raw ICMPv6 socket: the kernel fills in the checksum. Hop
// limit 255 is required, or receivers drop the advertisement.
func sendRA(ifindex int, p netip.Prefix) error {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW, unix.IPPROTO_ICMPV6)
	if err != nil {
		return fmt.Errorf("ra socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255); err != nil {
		return fmt.Errorf("ra hop limit: %w", err)
	}
	to := &unix.SockaddrInet6{Addr: netip.MustParseAddr("ff02::1").As16(), ZoneId: uint32(ifindex)}
	if err := unix.Sendto(fd, routerAdvertisement(p), 0, to); err != nil {
		return fmt.Errorf("ra send: %w", err)
	}
	return nil
}

// routerAdvertisement is RFC 4861's message (type 134, current hop limit
// 64, router lifetime 0) with one prefix information option (on-link and
// autonomous, an hour valid and preferred).
func routerAdvertisement(p netip.Prefix) []byte {
	msg := make([]byte, 16, 16+32)
	msg[0], msg[4] = 134, 64
	opt := make([]byte, 32)
	opt[0], opt[1], opt[2], opt[3] = 3, 4, byte(p.Bits()), 0xC0
	binary.BigEndian.PutUint32(opt[4:], 3600)
	binary.BigEndian.PutUint32(opt[8:], 3600)
	addr := p.Addr().As16()
	copy(opt[16:], addr[:])
	return append(msg, opt...)
}
