//go:build e2e

package e2e

import (
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nodenet/nodenet/proxy/conntrack"
	"github.com/nodenet/nodenet/proxy/conntrack/conntracktest"
	"github.com/nodenet/nodenet/test/netns"
)

// ctFamily is one family's addresses in the conntrack kernel test: a
// Service address, its endpoints by client source port (the DNAT rules
// pick the endpoint by source port, so each flow's endpoint is known).
type ctFamily struct {
	iptables, service string
	endpoints         map[int]string // source port -> endpoint
}

var ctFamilies = []ctFamily{
	{"iptables", "10.96.0.10", map[int]string{40000: "10.244.1.2", 40001: "10.244.1.3", 40002: "10.244.1.4"}},
	{"ip6tables", "fd00:96::a", map[int]string{40000: "fd00:244::2", 40001: "fd00:244::3", 40002: "fd00:244::4"}},
}

// TestConntrackKernelMatchesFake: real UDP conntrack entries, made with
// nnt-echo through DNAT rules in a namespace of the test's own, are
// deleted by conntrack.Netlink (change-driven filters, then the
// reconciler), and conntracktest.Fake, given the same entries and the
// same calls, ends each step with the same table.
func TestConntrackKernelMatchesFake(t *testing.T) {
	netns.RequireRoot(t)
	ns := netns.New(t, netns.UniquePrefix("e")+"-ct")
	for _, f := range ctFamilies {
		makeFlows(t, ns, f)
	}
	kernel := conntrack.Netlink{Handle: ns.NetlinkHandle(t, unix.NETLINK_NETFILTER)}
	listed := listBoth(t, kernel)
	if len(listed) != 8 {
		t.Fatalf("the kernel tracks %d UDP flows, want 8 (3 translated and 1 not, per family): %v", len(listed), listed)
	}
	fake := &conntracktest.Fake{}
	fake.Add(listed...)

	var filters []conntrack.Filter
	serving := conntrack.NewServing()
	for _, f := range ctFamilies {
		svc := netip.MustParseAddr(f.service)
		filters = append(filters, conntrack.Filter{Protocol: unix.IPPROTO_UDP, OrigDst: svc, OrigDstPort: 53,
			ReplySrc: netip.MustParseAddr(f.endpoints[40000])})
		keep := conntrack.AddrSet{netip.MustParseAddr(f.endpoints[40001]): {}}
		serving.Addrs[conntrack.AddrFrontend{Protocol: unix.IPPROTO_UDP, Addr: svc, Port: 53}] = keep
		serving.Addrs[conntrack.AddrFrontend{Protocol: unix.IPPROTO_UDP, Addr: svc, Port: 54}] = keep
	}
	for _, table := range []conntrack.Kernel{kernel, fake} {
		n, failed, err := conntrack.Cleaner{Kernel: table}.Delete(filters)
		if err != nil || failed != nil || n != 2 {
			t.Fatalf("%T: Delete: %d deleted, failed %v, %v; want the two flows answered by .2/::2", table, n, failed, err)
		}
	}
	assertSameTables(t, kernel, fake, 6)
	for _, table := range []conntrack.Kernel{kernel, fake} {
		if n, err := (conntrack.Cleaner{Kernel: table}).Reconcile(serving); err != nil || n != 4 {
			t.Fatalf("%T: Reconcile: %d deleted, %v; want the flows to .4/::4 and those nothing translated", table, n, err)
		}
	}
	left := assertSameTables(t, kernel, fake, 2)
	for _, e := range left {
		if e.OrigSrcPort != 40001 || e.OrigDstPort != 53 {
			t.Errorf("kept %+v, want only the flows answered by a serving endpoint", e)
		}
	}
}

// makeFlows gives namespace ns f's addresses on lo, DNAT rules from the
// Service address port 53 to an endpoint by source port (port 54 is not
// translated), and one UDP exchange per source port and one to port 54.
// Nothing listens: each datagram is refused, and its entry stays.
func makeFlows(t *testing.T, ns *netns.NS, f ctFamily) {
	t.Helper()
	ns.AddAddr(t, "lo", hostPrefix(f.service))
	for sport, ep := range f.endpoints {
		ns.AddAddr(t, "lo", hostPrefix(ep))
		ns.Run(t, f.iptables, "-t", "nat", "-A", "OUTPUT", "-d", f.service, "-p", "udp", "--dport", "53",
			"--sport", strconv.Itoa(sport), "-j", "DNAT", "--to-destination", ep)
	}
	for sport := range f.endpoints {
		udpPing(t, ns, net.JoinHostPort(f.service, "53"), sport)
	}
	udpPing(t, ns, net.JoinHostPort(f.service, "54"), 40000)
}

func hostPrefix(addr string) string {
	a := netip.MustParseAddr(addr)
	return netip.PrefixFrom(a, a.BitLen()).String()
}

// udpPing sends one datagram from sport and expects the refusal that says
// it went through the rules to a local address with no listener.
func udpPing(t *testing.T, ns *netns.NS, addr string, sport int) {
	t.Helper()
	ans, err := netns.Dial(ns.Name, "udp", addr, 1, time.Second, "-sport", strconv.Itoa(sport))
	if err != nil && len(ans) != 1 {
		t.Fatal(err)
	}
	if ans[0].Err != "refused" {
		t.Fatalf("UDP to %s from port %d: %q, want refused", addr, sport, ans[0].Line)
	}
}

// listBoth lists both families' UDP entries, sorted.
func listBoth(t *testing.T, k conntrack.Kernel) []conntrack.Entry {
	t.Helper()
	var out []conntrack.Entry
	for _, ipv6 := range []bool{false, true} {
		entries, err := k.List(ipv6)
		if err != nil {
			t.Fatalf("%T: list: %v", k, err)
		}
		for _, e := range entries {
			if e.Protocol == unix.IPPROTO_UDP {
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b conntrack.Entry) int {
		if c := a.OrigDst.Compare(b.OrigDst); c != 0 {
			return c
		}
		if c := int(a.OrigDstPort) - int(b.OrigDstPort); c != 0 {
			return c
		}
		return int(a.OrigSrcPort) - int(b.OrigSrcPort)
	})
	return out
}

// assertSameTables fails unless kernel and fake hold the same n entries;
// it returns them.
func assertSameTables(t *testing.T, kernel, fake conntrack.Kernel, n int) []conntrack.Entry {
	t.Helper()
	k, f := listBoth(t, kernel), listBoth(t, fake)
	if !reflect.DeepEqual(k, f) {
		t.Fatalf("the fake drifted from the kernel:\nkernel %v\nfake   %v", k, f)
	}
	if len(k) != n {
		t.Fatalf("%d entries left, want %d: %v", len(k), n, k)
	}
	return k
}
