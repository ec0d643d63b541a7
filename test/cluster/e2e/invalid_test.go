//go:build e2e

package clustere2e

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// TestInvalidPacketsDroppedAndCounted: a TCP segment conntrack marks
// INVALID (SYN and FIN together), sent from the outside client to a pod
// through node a (forwarded), is dropped by NODENET-FORWARD and counted in
// kube-proxy's nfacct metric kubeproxy_iptables_ct_state_invalid_dropped_packets_total,
// as kube-proxy does (kubernetes#74839).
func TestInvalidPacketsDroppedAndCounted(t *testing.T) {
	c := newCluster(t, 1)
	nd := c.nodes[0]
	c.ensureNamespace(t, "web", nil)
	pod := nd.addPod(t, "web", "pod-a", nil)
	c.client.IP(t, "route", "add", nd.podCIDR, "via", nd.ip)
	const metric = "kubeproxy_iptables_ct_state_invalid_dropped_packets_total"
	before := invalidDropped(t, nd, metric)
	const sent = 3
	for i := range sent {
		if err := sendSynFin(c.client.Name, c.clientIP, pod.IP, uint16(40000+i)); err != nil {
			t.Fatal(err)
		}
	}
	netns.Eventually(t, 10*time.Second, "the INVALID segments counted", func() error {
		if got := invalidDropped(t, nd, metric); got < before+sent {
			return fmt.Errorf("%s = %v, want at least %v", metric, got, before+sent)
		}
		return nil
	})
}

func invalidDropped(t *testing.T, nd *node, metric string) float64 {
	t.Helper()
	fams, err := scrape(fmt.Sprintf("http://%s:%d/metrics", nd.ip, metricsPort))
	if err != nil {
		t.Fatal(err)
	}
	if fams[metric] == nil {
		t.Fatalf("%s is not exported", metric)
	}
	return counterValue(fams[metric])
}

// sendSynFin sends one TCP segment with SYN and FIN set (a combination
// conntrack's tcp_error refuses) from src to dst:echoPort, through a raw
// socket in namespace ns.
func sendSynFin(ns, src, dst string, sport uint16) error {
	s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
	seg := make([]byte, 20)
	binary.BigEndian.PutUint16(seg[0:], sport)
	binary.BigEndian.PutUint16(seg[2:], echoPort)
	binary.BigEndian.PutUint32(seg[4:], 1)
	seg[12] = 5 << 4      // data offset: 5 words
	seg[13] = 0x02 | 0x01 // SYN | FIN
	binary.BigEndian.PutUint16(seg[14:], 1024)
	binary.BigEndian.PutUint16(seg[16:], tcpChecksum(s, d, seg))
	return netns.Within(ns, func() error {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_TCP)
		if err != nil {
			return fmt.Errorf("raw socket: %w", err)
		}
		defer syscall.Close(fd)
		return syscall.Sendto(fd, seg, 0, &syscall.SockaddrInet4{Addr: d.As4()})
	})
}

// tcpChecksum is the TCP checksum of seg (its checksum field zero) over
// the IPv4 pseudo-header.
func tcpChecksum(src, dst netip.Addr, seg []byte) uint16 {
	s, d := src.As4(), dst.As4()
	pseudo := append(append(append([]byte{}, s[:]...), d[:]...), 0, syscall.IPPROTO_TCP, 0, byte(len(seg)))
	var sum uint32
	for _, b := range [][]byte{pseudo, seg} {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
