//go:build e2e

package bench

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nodenet/nodenet/proxy/conntrack"
	"github.com/nodenet/nodenet/test/netns"
)

// ctServices x ctFlows UDP entries make the benchmark's conntrack table.
const ctServices, ctFlows = 10000, 10

// BenchmarkConntrackReconcile: the conntrack reconciler (what a restarted
// agent and every full sync run) on a real table of 100k UDP entries, 10k
// Service addresses with 10 flows each, in a namespace of its own. "stale"
// is a pass that deletes one flow per Service (10k), "clean" the next pass,
// with nothing to delete: the steady-state cost.
func BenchmarkConntrackReconcile(b *testing.B) {
	ns := netns.New(b, netns.UniquePrefix("b")+"-ct")
	h := ns.NetlinkHandle(b, unix.NETLINK_NETFILTER)
	serving := conntrack.NewServing()
	start := time.Now()
	for i := range ctServices {
		svc := netip.AddrFrom4([4]byte{10, 96, byte(i >> 8), byte(i)})
		eps := conntrack.AddrSet{}
		for j := range ctFlows {
			ep := netip.AddrFrom4([4]byte{10, 244 + byte(j), byte(i >> 8), byte(i)})
			if j > 0 { // the first flow's endpoint is gone
				eps[ep] = struct{}{}
			}
			createFlow(b, h, svc, ep, uint16(20000+j))
		}
		serving.Addrs[conntrack.AddrFrontend{Protocol: unix.IPPROTO_UDP, Addr: svc, Port: 53}] = eps
	}
	b.Logf("created %d entries in %v", ctServices*ctFlows, time.Since(start))
	cleaner := conntrack.Cleaner{Kernel: conntrack.Netlink{Handle: h}}
	b.ResetTimer()
	for range b.N {
		for _, pass := range []struct {
			name string
			want int
		}{{"stale", ctServices}, {"clean", 0}} {
			t0 := time.Now()
			n, err := cleaner.Reconcile(serving)
			if err != nil || n != pass.want {
				b.Fatalf("%s pass: deleted %d, %v; want %d", pass.name, n, err, pass.want)
			}
			b.ReportMetric(time.Since(t0).Seconds(), "s/"+pass.name)
		}
	}
}

func createFlow(b *testing.B, h *netlink.Handle, svc, ep netip.Addr, sport uint16) {
	client := net.IPv4(192, 0, 2, 10)
	flow := &netlink.ConntrackFlow{
		FamilyType: unix.AF_INET,
		Forward:    netlink.IPTuple{Protocol: unix.IPPROTO_UDP, SrcIP: client, DstIP: net.IP(svc.AsSlice()), SrcPort: sport, DstPort: 53},
		Reverse:    netlink.IPTuple{Protocol: unix.IPPROTO_UDP, SrcIP: net.IP(ep.AsSlice()), DstIP: client, SrcPort: 53, DstPort: sport},
		TimeOut:    600,
	}
	if err := h.ConntrackCreate(netlink.ConntrackTable, unix.AF_INET, flow); err != nil {
		b.Fatalf("create %v: %v", flow, err)
	}
}
