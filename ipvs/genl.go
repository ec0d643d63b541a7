package ipvs

import (
	"encoding/binary"
	"fmt"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// genlWriter sends IPVS's generic netlink change commands over one
// blocking socket with reused buffers. moby/ipvs (kept for listings)
// spends several times the kernel's own work on each request: a 64 KiB
// receive buffer allocated, the socket's address read and a deadline
// armed, per call. Under emulation that was most of a 10k full sync's
// 110k real and virtual server adds (BENCHMARKS.md).
type genlWriter struct {
	fd     int
	family uint16
	seq    uint32
	req    []byte
	resp   []byte
}

// IPVS generic netlink numbers (include/uapi/linux/ip_vs.h).
const (
	ipvsCmdNewService = 1
	ipvsCmdSetService = 2
	ipvsCmdDelService = 3
	ipvsCmdNewDest    = 5
	ipvsCmdSetDest    = 6
	ipvsCmdDelDest    = 7

	ipvsAttrService = 1
	ipvsAttrDest    = 2

	ipvsSvcAF        = 1
	ipvsSvcProtocol  = 2
	ipvsSvcAddr      = 3
	ipvsSvcPort      = 4
	ipvsSvcSchedName = 6
	ipvsSvcFlags     = 7
	ipvsSvcTimeout   = 8
	ipvsSvcNetmask   = 9

	ipvsDestAddr      = 1
	ipvsDestPort      = 2
	ipvsDestFwdMethod = 3
	ipvsDestWeight    = 4
	ipvsDestUThresh   = 5
	ipvsDestLThresh   = 6
	ipvsDestAF        = 11

	ipvsFwdMasq = 0 // IP_VS_CONN_F_MASQ
	genlVersion = 1 // IPVS_GENL_VERSION
)

// newGenlWriter opens the socket in the network namespace at nsPath
// ("" = the current one).
func newGenlWriter(nsPath string) (*genlWriter, error) {
	fam, fd, err := openGenl(nsPath)
	if err != nil {
		return nil, err
	}
	return &genlWriter{fd: fd, family: fam, resp: make([]byte, 4096)}, nil
}

func openGenl(nsPath string) (family uint16, fd int, err error) {
	if nsPath != "" {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		orig, err := netns.Get()
		if err != nil {
			return 0, -1, err
		}
		defer orig.Close()
		target, err := netns.GetFromPath(nsPath)
		if err != nil {
			return 0, -1, err
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			return 0, -1, err
		}
		defer func() {
			if e := netns.Set(orig); e != nil && err == nil {
				err = e
			}
		}()
	}
	f, err := netlink.GenlFamilyGet("IPVS")
	if err != nil {
		return 0, -1, fmt.Errorf("IPVS generic netlink family: %w", err)
	}
	fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return 0, -1, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return 0, -1, fmt.Errorf("netlink bind: %w", err)
	}
	return f.ID, fd, nil
}

// do sends one command with its attributes and waits for its
// acknowledgement: the kernel answers within the send, so one receive
// reads it.
func (w *genlWriter) do(cmd uint8, attrs func(b *attrBuf)) error {
	w.seq++
	b := attrBuf{buf: w.req[:0]}
	b.buf = binary.NativeEndian.AppendUint32(b.buf, 0) // length, set below
	b.buf = binary.NativeEndian.AppendUint16(b.buf, w.family)
	b.buf = binary.NativeEndian.AppendUint16(b.buf, unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	b.buf = binary.NativeEndian.AppendUint32(b.buf, w.seq)
	b.buf = binary.NativeEndian.AppendUint32(b.buf, 0) // port id: the kernel's
	b.buf = append(b.buf, cmd, genlVersion, 0, 0)
	attrs(&b)
	binary.NativeEndian.PutUint32(b.buf, uint32(len(b.buf)))
	w.req = b.buf
	if err := unix.Sendto(w.fd, b.buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	for {
		n, _, err := unix.Recvfrom(w.fd, w.resp, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		if done, err := w.ack(w.resp[:n]); done {
			return err
		}
	}
}

// ack reads the acknowledgement of the last request from msgs; other
// messages (a stale answer) are skipped.
func (w *genlWriter) ack(msgs []byte) (bool, error) {
	for len(msgs) >= unix.NLMSG_HDRLEN {
		l := int(binary.NativeEndian.Uint32(msgs))
		if l < unix.NLMSG_HDRLEN || l > len(msgs) {
			return true, fmt.Errorf("netlink: truncated answer")
		}
		typ, seq := binary.NativeEndian.Uint16(msgs[4:]), binary.NativeEndian.Uint32(msgs[8:])
		if typ == unix.NLMSG_ERROR && seq == w.seq && l >= unix.NLMSG_HDRLEN+4 {
			if errno := int32(binary.NativeEndian.Uint32(msgs[unix.NLMSG_HDRLEN:])); errno != 0 {
				return true, unix.Errno(-errno)
			}
			return true, nil
		}
		msgs = msgs[nlmsgAlign(l):]
	}
	return false, nil
}

func nlmsgAlign(n int) int { return (n + 3) &^ 3 }

func (w *genlWriter) close() { unix.Close(w.fd) }

// attrBuf appends netlink attributes.
type attrBuf struct{ buf []byte }

// nested appends attribute typ holding what fill appends.
func (b *attrBuf) nested(typ uint16, fill func()) {
	start := len(b.buf)
	b.buf = binary.NativeEndian.AppendUint16(b.buf, 0)
	b.buf = binary.NativeEndian.AppendUint16(b.buf, typ)
	fill()
	binary.NativeEndian.PutUint16(b.buf[start:], uint16(len(b.buf)-start))
}

func (b *attrBuf) bytes(typ uint16, v []byte) {
	l := unix.NLA_HDRLEN + len(v)
	b.buf = binary.NativeEndian.AppendUint16(b.buf, uint16(l))
	b.buf = binary.NativeEndian.AppendUint16(b.buf, typ)
	b.buf = append(b.buf, v...)
	for len(b.buf)%4 != 0 {
		b.buf = append(b.buf, 0)
	}
}

func (b *attrBuf) u16(typ, v uint16) { b.bytes(typ, binary.NativeEndian.AppendUint16(nil, v)) }
func (b *attrBuf) u32(typ uint16, v uint32) {
	b.bytes(typ, binary.NativeEndian.AppendUint32(nil, v))
}

// be16 is a port, in network byte order.
func (b *attrBuf) be16(typ, v uint16) { b.bytes(typ, binary.BigEndian.AppendUint16(nil, v)) }

// service appends a virtual server's nested attribute; full adds what
// adding or changing one needs (the kernel refuses those without the
// scheduler, flags, timeout and netmask).
func (b *attrBuf) service(vs VirtualServer, full bool) {
	b.nested(ipvsAttrService, func() {
		b.u16(ipvsSvcAF, family(vs.Addr))
		b.u16(ipvsSvcProtocol, protoNumbers[vs.Protocol])
		b.bytes(ipvsSvcAddr, vs.Addr.AsSlice())
		b.be16(ipvsSvcPort, vs.Port)
		if !full {
			return
		}
		b.bytes(ipvsSvcSchedName, append([]byte(vs.Scheduler), 0))
		var flags uint32
		if vs.PersistenceSeconds > 0 {
			flags = svcFlagPersistent
		}
		// struct ip_vs_flags: the flags, then the mask of those to set.
		b.bytes(ipvsSvcFlags, binary.NativeEndian.AppendUint32(binary.NativeEndian.AppendUint32(nil, flags), 0xffffffff))
		b.u32(ipvsSvcTimeout, vs.PersistenceSeconds)
		mask := uint32(0xffffffff)
		if vs.Addr.Is6() {
			mask = 128
		}
		b.u32(ipvsSvcNetmask, mask)
	})
}

// dest appends a real server's nested attribute (NAT, no thresholds);
// full adds the weight and what the kernel wants with it.
func (b *attrBuf) dest(rs RealServer, full bool) {
	b.nested(ipvsAttrDest, func() {
		b.bytes(ipvsDestAddr, rs.Addr.AsSlice())
		b.be16(ipvsDestPort, rs.Port)
		b.u16(ipvsDestAF, family(rs.Addr))
		if !full {
			return
		}
		b.u32(ipvsDestFwdMethod, ipvsFwdMasq)
		b.u32(ipvsDestWeight, uint32(rs.Weight))
		b.u32(ipvsDestUThresh, 0)
		b.u32(ipvsDestLThresh, 0)
	})
}
