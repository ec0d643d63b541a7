package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// nflogMain subscribes to one NFLOG group of the current network namespace
// and prints "prefix=<prefix> src=<ip> dst=<ip>" per logged packet, until
// -n packets were seen or -timeout passed. It prints "ready" once bound, so
// a test can start it, wait, then send traffic.
func nflogMain(args []string) error {
	fs := flag.NewFlagSet("nflog", flag.ExitOnError)
	group := fs.Uint("group", 100, "NFLOG group to bind")
	count := fs.Int("n", 1, "exit after this many packets")
	timeout := fs.Duration("timeout", 10*time.Second, "exit (status 1) after this long")
	_ = fs.Parse(args)
	fd, err := bindNFLOG(uint16(*group))
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	fmt.Println("nflog ready")
	deadline := time.Now().Add(*timeout)
	for seen := 0; seen < *count; {
		tv := unix.NsecToTimeval(time.Until(deadline).Nanoseconds())
		if tv.Sec < 0 || (tv.Sec == 0 && tv.Usec <= 0) {
			return fmt.Errorf("nflog: %d of %d packets before the timeout", seen, *count)
		}
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return err
		}
		n, err := readNFLOG(fd)
		if err != nil && !errors.Is(err, unix.EAGAIN) {
			return err
		}
		seen += n
	}
	return nil
}

// Netfilter netlink constants (linux/netfilter/nfnetlink_log.h).
const (
	nfnlSubsysULOG   = 4
	nfulnlMsgPacket  = 0
	nfulnlMsgConfig  = 1
	nfulaCfgCmd      = 1
	nfulnlCfgCmdBind = 1
	nfulaPayload     = 9
	nfulaPrefix      = 10
)

func bindNFLOG(group uint16) (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER)
	if err != nil {
		return -1, fmt.Errorf("nflog socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("nflog bind: %w", err)
	}
	if err := unix.Sendto(fd, bindMessage(group), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("nflog bind group %d: %w", group, err)
	}
	if err := readAck(fd); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("nflog bind group %d: %w", group, err)
	}
	return fd, nil
}

// bindMessage is NFULNL_MSG_CONFIG with the BIND command for group.
func bindMessage(group uint16) []byte {
	const hdr, gen, attr = 16, 4, 8 // nlmsghdr, nfgenmsg, attribute with a 1-byte command padded
	msg := make([]byte, hdr+gen+attr)
	binary.NativeEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:], nfnlSubsysULOG<<8|nfulnlMsgConfig)
	binary.NativeEndian.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	msg[hdr] = unix.AF_UNSPEC
	msg[hdr+1] = 0                                  // NFNETLINK_V0
	binary.BigEndian.PutUint16(msg[hdr+2:], group)  // res_id
	binary.NativeEndian.PutUint16(msg[hdr+gen:], 5) // attribute length: header + command
	binary.NativeEndian.PutUint16(msg[hdr+gen+2:], nfulaCfgCmd)
	msg[hdr+gen+4] = nfulnlCfgCmdBind
	return msg
}

// readAck reads the kernel's answer to the bind: an error message whose
// code is 0 on success.
func readAck(fd int) error {
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return err
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Header.Type == unix.NLMSG_ERROR && len(m.Data) >= 4 {
			if code := int32(binary.NativeEndian.Uint32(m.Data)); code != 0 {
				return syscall.Errno(-code)
			}
			return nil
		}
	}
	return errors.New("no acknowledgement")
}

// readNFLOG reads one datagram and prints its packets; it returns how many.
func readNFLOG(fd int) (int, error) {
	buf := make([]byte, 65536)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return 0, err
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return 0, err
	}
	seen := 0
	for _, m := range msgs {
		if m.Header.Type != nfnlSubsysULOG<<8|nfulnlMsgPacket || len(m.Data) < 4 {
			continue
		}
		prefix, payload := nflogAttrs(m.Data[4:])
		src, dst := packetAddrs(payload)
		fmt.Printf("prefix=%q src=%s dst=%s\n", prefix, src, dst)
		seen++
	}
	return seen, nil
}

func nflogAttrs(b []byte) (prefix string, payload []byte) {
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b))
		typ := binary.NativeEndian.Uint16(b[2:]) & 0x3fff
		if l < 4 || l > len(b) {
			return
		}
		val := b[4:l]
		switch typ {
		case nfulaPrefix:
			prefix = string(trimNUL(val))
		case nfulaPayload:
			payload = val
		}
		b = b[min((l+3)&^3, len(b)):]
	}
	return
}

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// packetAddrs reads the source and destination of an IPv4 or IPv6 header.
func packetAddrs(p []byte) (src, dst netip.Addr) {
	switch {
	case len(p) >= 20 && p[0]>>4 == 4:
		src, _ = netip.AddrFromSlice(p[12:16])
		dst, _ = netip.AddrFromSlice(p[16:20])
	case len(p) >= 40 && p[0]>>4 == 6:
		src, _ = netip.AddrFromSlice(p[8:24])
		dst, _ = netip.AddrFromSlice(p[24:40])
	}
	return src, dst
}
