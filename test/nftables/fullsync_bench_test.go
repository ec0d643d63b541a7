//go:build e2e

package nftables_test

import (
	"net/netip"
	"strconv"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/test/netns"
)

// BenchmarkFullSyncIntoKernel is one full sync of 10k ClusterIP Services
// × 10 endpoints into an empty table of a fresh namespace, through the
// backend alone (no agent, no YAML): elements one nft command each
// (knftables) against grouped per map (the agent's backend). It reports
// the wall time and the CPU of this process and of its nft children: on
// a machine shared with other suites the CPU is the figure to compare.
func BenchmarkFullSyncIntoKernel(b *testing.B) {
	tab := benchTable(10000, 10)
	for _, grouped := range []bool{false, true} {
		name := "elements=per-command"
		if grouped {
			name = "elements=grouped"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ns := netns.New(b, netns.UniquePrefix("b")+"-nft")
				before := cpuOfSelfAndChildren()
				start := time.Now()
				err := netns.Within(ns.Name, func() error {
					be, err := newBackendOf(grouped)
					if err != nil {
						return err
					}
					return be.Sync(tab, nil, true)
				})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "full-sync-s")
				b.ReportMetric((cpuOfSelfAndChildren() - before).Seconds(), "full-sync-cpu-s")
				netns.Delete(b, ns.Name)
			}
		})
	}
}

// benchTable is n ClusterIP Services with per endpoints each, as
// test/bench generates them.
func benchTable(n, per int) *proxy.Table {
	t := proxy.NewTable()
	for i := 0; i < n; i++ {
		sp := name("svc-" + strconv.Itoa(i))
		t.Services[sp] = &proxy.ServicePort{Name: sp, ClusterIPs: []netip.Addr{netip.AddrFrom4([4]byte{10, byte(96 + i>>16), byte(i >> 8), byte(i)})}, Port: 80, Protocol: v1.ProtocolTCP}
		for e := 0; e < per; e++ {
			k := i*16 + e
			t.Endpoints[sp] = append(t.Endpoints[sp], proxy.Endpoint{Addr: netip.AddrFrom4([4]byte{10, byte(128 + k>>16), byte(k >> 8), byte(k)}), Port: 8080, Ready: true, Serving: true})
		}
	}
	return t
}

// cpuOfSelfAndChildren is the user + system CPU of this process and of
// the children it waited for (the nft runs).
func cpuOfSelfAndChildren() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}
