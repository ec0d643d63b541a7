package conntrack_test

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/nodenet/nodenet/proxy/conntrack"
	"github.com/nodenet/nodenet/proxy/conntrack/conntracktest"
)

// dns is a UDP Service: ClusterIPs 10.96.0.10 and fd00:96::a port 53,
// NodePort 30053, served by 10.244.1.3 and fd00:244::3.
func dns() conntrack.Serving {
	s := conntrack.NewServing()
	v4, v6 := conntrack.AddrSet{a("10.244.1.3"): {}}, conntrack.AddrSet{a("fd00:244::3"): {}}
	s.Addrs[conntrack.AddrFrontend{Protocol: udp, Addr: a("10.96.0.10"), Port: 53}] = v4
	s.Addrs[conntrack.AddrFrontend{Protocol: udp, Addr: a("fd00:96::a"), Port: 53}] = v6
	s.NodePorts[conntrack.PortFrontend{Protocol: udp, Port: 30053}] = v4
	s.NodePorts[conntrack.PortFrontend{Protocol: udp, Port: 30053, IPv6: true}] = v6
	s.NodeAddrs[a("192.168.1.10")] = struct{}{}
	return s
}

func TestStale(t *testing.T) {
	emptyPort := dns()
	emptyPort.Addrs[conntrack.AddrFrontend{Protocol: udp, Addr: a("10.96.0.20"), Port: 53}] = conntrack.AddrSet{}
	tcp := entry("10.96.0.10", 53, "10.244.1.2")
	tcp.Protocol = 6
	for _, tc := range []struct {
		name    string
		serving conntrack.Serving
		entry   conntrack.Entry
		stale   bool
	}{
		{"answered by a serving endpoint", dns(), v4Keep, false},
		{"answered by an old endpoint", dns(), v4Stale, true},
		{"IPv6, old endpoint", dns(), v6Stale, true},
		{"IPv6, serving endpoint", dns(), v6Keep, false},
		{"recorded before the rules (not translated)", dns(), entry("10.96.0.10", 53, "10.96.0.10"), true},
		{"port scaled to zero (kubernetes#139628)", emptyPort, entry("10.96.0.20", 53, "10.244.1.3"), true},
		{"another port of the Service address", dns(), entry("10.96.0.10", 54, "10.244.1.2"), false},
		{"no Service's address (kubernetes#122740)", dns(), entry("192.0.2.1", 53, "192.0.2.1"), false},
		{"TCP is left alone", dns(), tcp, false},
		{"NodePort translated to an old endpoint", dns(), entry("192.168.1.10", 30053, "10.244.1.2"), true},
		{"NodePort translated to a serving endpoint", dns(), entry("192.168.1.10", 30053, "10.244.1.3"), false},
		{"NodePort number, not translated (maybe forwarded)", dns(), entry("198.51.100.7", 30053, "198.51.100.7"), false},
		{"NodePort on the node's IP, not translated (before the rules)", dns(), entry("192.168.1.10", 30053, "192.168.1.10"), true},
		{"NodePort of IPv6, old endpoint", dns(), entry("2001:db8::1", 30053, "fd00:244::2"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.serving.Stale([]conntrack.Entry{tc.entry})
			var want []conntrack.Filter
			if tc.stale {
				e := tc.entry
				want = []conntrack.Filter{{Protocol: e.Protocol, OrigDst: e.OrigDst, OrigDstPort: e.OrigDstPort, ReplySrc: e.ReplySrc}}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Stale = %v, want %v", got, want)
			}
		})
	}
}

// TestStaleOneFilterPerPair: many clients of one old endpoint make one
// filter.
func TestStaleOneFilterPerPair(t *testing.T) {
	var entries []conntrack.Entry
	for port := uint16(40000); port < 40010; port++ {
		e := v4Stale
		e.OrigSrcPort = port
		entries = append(entries, e)
	}
	if got := dns().Stale(entries); len(got) != 1 {
		t.Fatalf("Stale = %v, want one filter", got)
	}
}

// TestReconcileKeepsGoing: a family that cannot be listed does not stop
// the other; the error names it.
func TestReconcileKeepsGoing(t *testing.T) {
	ct := &conntracktest.Fake{}
	ct.Add(v4Stale, v4Keep, v6Stale, v6Keep)
	boom := errors.New("EPERM")
	ct.Fail(false, boom)
	n, err := conntrack.Cleaner{Kernel: ct}.Reconcile(dns())
	if !errors.Is(err, boom) || n != 1 {
		t.Fatalf("deleted %d, err %v; want the IPv6 entry and the IPv4 error", n, err)
	}
	assertEntries(t, ct, v4Stale, v4Keep, v6Keep)
	ct.Fail(false, nil)
	if n, err := (conntrack.Cleaner{Kernel: ct}).Reconcile(dns()); err != nil || n != 1 {
		t.Fatalf("second run: deleted %d, err %v", n, err)
	}
	assertEntries(t, ct, v4Keep, v6Keep)
}

// BenchmarkStale: the reconciler's pass over a busy table, 10k UDP
// Services x 10 endpoints and 100k entries of which one in ten is stale
// (the dumps themselves are the kernel's cost, not measured here).
func BenchmarkStale(b *testing.B) {
	s := conntrack.NewServing()
	var entries []conntrack.Entry
	for i := range 10000 {
		svc := netip.AddrFrom4([4]byte{10, 96, byte(i >> 8), byte(i)})
		eps := conntrack.AddrSet{}
		for j := range 10 {
			eps[netip.AddrFrom4([4]byte{10, 244, byte(i >> 8), byte(i)*10 + byte(j)})] = struct{}{}
		}
		s.Addrs[conntrack.AddrFrontend{Protocol: udp, Addr: svc, Port: 53}] = eps
		for j := range 10 {
			reply := netip.AddrFrom4([4]byte{10, 244, byte(i >> 8), byte(i)*10 + byte(j)})
			if j == 9 {
				reply = netip.AddrFrom4([4]byte{10, 245, byte(i >> 8), byte(i)}) // gone
			}
			entries = append(entries, conntrack.Entry{Protocol: udp, OrigSrc: a("10.244.200.1"), OrigSrcPort: uint16(30000 + j),
				OrigDst: svc, OrigDstPort: 53, ReplySrc: reply})
		}
	}
	b.ResetTimer()
	for range b.N {
		if got := s.Stale(entries); len(got) != 10000 {
			b.Fatalf("%d stale filters, want 10000", len(got))
		}
	}
}
