//go:build e2e

package bench

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// firstPacketRounds is how many new connections each measured Service
// gets; first and last alternate, so drift of a shared machine falls on
// both alike.
const firstPacketRounds = 1000

// BenchmarkFirstPacketLatency measures a new TCP connection (the
// handshake, whose first packet goes through the Service lookup) from an
// outside client to the first and the last of 10k Services, whose ten
// endpoints are addresses of one pod; the other Services point nowhere.
// A lookup that walks the Services (iptables rules in order) makes the
// last slower than the first; a map lookup should not. It reports the
// 10th percentiles and medians, and last/first of each.
func BenchmarkFirstPacketLatency(b *testing.B) {
	for _, mode := range []string{"iptables", "nftables"} {
		b.Run("mode="+mode+"/services=10000", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runFirstPacketBench(b, mode, cluster{services: 10000, endpointsPer: 10, liveFirstAndLast: true})
			}
		})
	}
}

func runFirstPacketBench(b *testing.B, mode string, c cluster) {
	dir := b.TempDir()
	if err := c.write(dir); err != nil {
		b.Fatal(err)
	}
	topo := netns.NewProxyTopology(b, "fp", "pod-a")
	pod := topo.Pod(b, "pod-a")
	for e := 1; e < c.endpointsPer; e++ {
		pod.AddAddr(b, "eth0", liveEndpoint(e).String()+"/32")
	}
	stop := listen(b, pod.Name, ":8080")
	defer stop()
	agent := startBenchAgent(b, topo.Node.Name, dir, mode, nil)
	defer agent.Stop()
	waitMetric(b, topo.Node.Name, fullCount, 1, 5*time.Minute)
	first := netip.AddrPortFrom(clusterIP(0), 80).String()
	last := netip.AddrPortFrom(clusterIP(c.services-1), 80).String()
	var firstTimes, lastTimes []time.Duration
	err := netns.Within(topo.Client.Name, func() error {
		for _, addr := range []string{first, last} { // reachable, and warm
			if err := netns.PollUntil(time.Minute, 100*time.Millisecond, func() error { _, err := connectTime(addr); return err }); err != nil {
				return err
			}
		}
		for r := 0; r < firstPacketRounds; r++ {
			for _, m := range []struct {
				addr string
				into *[]time.Duration
			}{{first, &firstTimes}, {last, &lastTimes}} {
				d, err := connectTime(m.addr)
				if err != nil {
					return err
				}
				*m.into = append(*m.into, d)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// The 10th percentile as well as the median: on a shared machine the
	// median carries the neighbours' scheduling delays, the low
	// percentile mostly the path itself.
	for _, q := range []struct {
		name string
		at   float64
	}{{"p10", 0.1}, {"p50", 0.5}} {
		f, l := quantile(firstTimes, q.at), quantile(lastTimes, q.at)
		b.ReportMetric(float64(f.Microseconds()), "first-svc-connect-"+q.name+"-us")
		b.ReportMetric(float64(l.Microseconds()), "last-svc-connect-"+q.name+"-us")
		b.ReportMetric(float64(l)/float64(f), "last/first-"+q.name)
	}
}

// connectTime is how long a new TCP connection to addr takes to be
// established (from the calling thread's namespace).
func connectTime(addr string) (time.Duration, error) {
	start := time.Now()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return 0, err
	}
	d := time.Since(start)
	return d, conn.Close()
}

// listen accepts (and closes) TCP connections on addr inside namespace
// ns until stop is called.
func listen(b *testing.B, ns, addr string) (stop func()) {
	var ln net.Listener
	err := netns.Within(ns, func() error {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	return func() { ln.Close() }
}

// quantile is the q-quantile (0 ≤ q < 1) of ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)))]
}

// liveEndpoint is endpoint e of the first and last Services: pod-a's
// address (e = 0) and nine more on its interface.
func liveEndpoint(e int) netip.Addr {
	return netip.MustParseAddr(fmt.Sprintf("10.244.1.%d", 10+e*10))
}
