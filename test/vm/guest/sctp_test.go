//go:build vmguest

package guest

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/test/netns"
)

// Go's net package has no SCTP: these helpers speak it over raw
// syscalls, one-to-one style (SOCK_STREAM), which behaves as TCP does:
// bind, listen, accept, connect (the four-way INIT/COOKIE handshake),
// write and read.

// sctpServe listens on port in namespace ns and answers every association
// with one line "<name> <peer addr:port>", as nnt-echo does for TCP.
func sctpServe(t *testing.T, ns, name string, port int) {
	var fd int
	var err error
	inNS(t, ns, func() {
		if fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_SCTP); err != nil {
			return
		}
		if err = unix.Bind(fd, &unix.SockaddrInet4{Port: port}); err == nil {
			err = unix.Listen(fd, 16)
		}
	})
	if err != nil {
		t.Fatalf("SCTP listen in %s (is the sctp module loaded?): %v", ns, err)
	}
	t.Cleanup(func() { _ = unix.Shutdown(fd, unix.SHUT_RDWR); _ = unix.Close(fd) })
	go func() {
		for {
			c, peer, err := unix.Accept(fd)
			if err != nil {
				return // closed by the cleanup
			}
			p, _ := peer.(*unix.SockaddrInet4)
			if p != nil {
				_, _ = unix.Write(c, fmt.Appendf(nil, "%s %s\n", name, netip.AddrPortFrom(netip.AddrFrom4(p.Addr), uint16(p.Port))))
			}
			_ = unix.Close(c)
		}
	}()
}

// sctpDial opens an association from namespace ns to addr and returns the
// line the server sent, or the error ("timeout" when nothing answered).
func sctpDial(t *testing.T, ns string, addr netip.AddrPort) (string, error) {
	var line string
	var err error
	inNS(t, ns, func() { line, err = sctpExchange(addr, 3*time.Second) })
	return line, err
}

func sctpExchange(addr netip.AddrPort, timeout time.Duration) (string, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, unix.IPPROTO_SCTP)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrInet4{Addr: addr.Addr().As4(), Port: int(addr.Port())}); err != nil && err != unix.EINPROGRESS {
		return "", err
	}
	deadline := time.Now().Add(timeout)
	if err := waitFD(fd, unix.POLLOUT, deadline); err != nil {
		return "", err
	}
	if soErr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || soErr != 0 {
		return "", fmt.Errorf("connect: %w", cmpErr(err, unix.Errno(soErr)))
	}
	var line []byte
	buf := make([]byte, 128)
	for len(line) == 0 || line[len(line)-1] != '\n' {
		if err := waitFD(fd, unix.POLLIN, deadline); err != nil {
			return string(line), err
		}
		n, err := unix.Read(fd, buf)
		if err != nil || n == 0 {
			return string(line), fmt.Errorf("read: %v (%d bytes)", err, n)
		}
		line = append(line, buf[:n]...)
	}
	return string(line[:len(line)-1]), nil
}

func cmpErr(err, soErr error) error {
	if err != nil {
		return err
	}
	return soErr
}

func waitFD(fd int, events int16, deadline time.Time) error {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("timeout")
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n > 0 {
			return err
		}
	}
}

// TestSCTPService: a real SCTP association reaches the pod through the
// backend's ClusterIP and NodePort virtual servers (IPVS schedules SCTP;
// the masquerade rules match it as they do TCP: the outside client is
// seen as the node), and a pod's own is not masqueraded.
func TestSCTPService(t *testing.T) {
	n := newIPVSNode(t, "pod-a", "pod-b")
	for _, p := range n.topo.Pods {
		sctpServe(t, p.Name, p.PodName, 9132)
	}
	svc := n.service("sig", v1.ProtocolSCTP, proxy.ServicePort{ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.40")}, NodePort: 30132}, "pod-a")
	n.table.Endpoints[svc][0].Port = 9132
	n.sync(true)

	podB := n.topo.Pod(t, "pod-b")
	for _, c := range []struct{ from, to, wantSource string }{
		{n.topo.Client.Name, "10.96.0.40:80", netns.NodePodIP},
		{n.topo.Client.Name, netns.NodeExtIP + ":30132", netns.NodePodIP},
		{podB.Name, "10.96.0.40:80", podB.IP},
	} {
		line, err := sctpDial(t, c.from, netip.MustParseAddrPort(c.to))
		var source string
		if f := strings.Fields(line); len(f) == 2 {
			source = netip.MustParseAddrPort(f[1]).Addr().String()
		}
		if err != nil || !strings.HasPrefix(line, "pod-a ") || source != c.wantSource {
			t.Errorf("SCTP %s -> %s: %q, %v; want pod-a from %s", c.from, c.to, line, err, c.wantSource)
		}
	}
	if save := n.topo.Node.Run(t, "ipvsadm", "-Sn"); !strings.Contains(save, "--sctp-service 10.96.0.40:80") {
		t.Errorf("no SCTP virtual server:\n%s", save)
	}
}
