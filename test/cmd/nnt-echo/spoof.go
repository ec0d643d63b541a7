package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// garpMain plays a pod spoofing an address at layer 2: an unsolicited ARP
// reply (IPv4) or neighbour advertisement with the override flag (IPv6)
// saying that -ip is at -dev's MAC. Neighbours that already know -ip
// rewrite their entry, so their traffic for it comes here.
func garpMain(args []string) error {
	fs := flag.NewFlagSet("garp", flag.ExitOnError)
	dev := fs.String("dev", "eth0", "interface to send on")
	ip := fs.String("ip", "", "address to claim")
	_ = fs.Parse(args)
	addr, err := netip.ParseAddr(*ip)
	if err != nil {
		return fmt.Errorf("garp: -ip: %w", err)
	}
	ifi, err := net.InterfaceByName(*dev)
	if err != nil {
		return fmt.Errorf("garp: %w", err)
	}
	if addr.Is4() {
		return sendARPReply(ifi, addr)
	}
	return sendNA(ifi, addr)
}

// sendARPReply broadcasts an ARP reply (RFC 826, opcode 2) with sender
// and target protocol address both addr: the gratuitous form.
func sendARPReply(ifi *net.Interface, addr netip.Addr) error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ARP)))
	if err != nil {
		return fmt.Errorf("garp socket: %w", err)
	}
	defer unix.Close(fd)
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	ip := addr.As4()
	frame := make([]byte, 0, 42)
	frame = append(frame, bcast...)
	frame = append(frame, ifi.HardwareAddr...)
	frame = binary.BigEndian.AppendUint16(frame, unix.ETH_P_ARP)
	frame = binary.BigEndian.AppendUint16(frame, 1)             // Ethernet
	frame = binary.BigEndian.AppendUint16(frame, unix.ETH_P_IP) // IPv4
	frame = append(frame, 6, 4)
	frame = binary.BigEndian.AppendUint16(frame, 2) // reply
	frame = append(append(frame, ifi.HardwareAddr...), ip[:]...)
	frame = append(append(frame, bcast...), ip[:]...)
	to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: ifi.Index, Halen: 6}
	copy(to.Addr[:], bcast)
	if err := unix.Sendto(fd, frame, 0, to); err != nil {
		return fmt.Errorf("garp send: %w", err)
	}
	return nil
}

// sendNA sends an unsolicited neighbour advertisement (RFC 4861 4.4) to
// ff02::1: override flag, target addr, our MAC as the target link-layer
// address option. Hop limit 255, or receivers drop it.
func sendNA(ifi *net.Interface, addr netip.Addr) error {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW, unix.IPPROTO_ICMPV6)
	if err != nil {
		return fmt.Errorf("na socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255); err != nil {
		return fmt.Errorf("na hop limit: %w", err)
	}
	msg := make([]byte, 8, 32)
	msg[0], msg[4] = 136, 0x20 // neighbour advertisement, override
	target := addr.As16()
	msg = append(msg, target[:]...)
	msg = append(append(msg, 2, 1), ifi.HardwareAddr...)
	to := &unix.SockaddrInet6{Addr: netip.MustParseAddr("ff02::1").As16(), ZoneId: uint32(ifi.Index)}
	if err := unix.Sendto(fd, msg, 0, to); err != nil {
		return fmt.Errorf("na send: %w", err)
	}
	return nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
