package iptables

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/proxy"
)

// dualStackTable has default/ds, a dual-stack NodePort Service (ClusterIPs
// 10.96.0.20 and fd00:10:96::14, an external IP of each family) whose port
// has an IPv4 and an IPv6 endpoint list under one name, one local endpoint
// of each family; and default/v4only, SingleStack IPv4 with a NodePort.
func dualStackTable() *proxy.Table {
	t := proxy.NewTable()
	ds, v4only := svcName("ds"), svcName("v4only")
	t.Services[ds] = &proxy.ServicePort{
		Name: ds, ClusterIPs: []netip.Addr{addr("10.96.0.20"), addr("fd00:10:96::14")}, Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30090,
		ExternalIPs: []netip.Addr{addr("203.0.113.7"), addr("2001:db8:1::7")}, StickyMaxAgeSeconds: 60,
	}
	eps := readyEndpoints("10.244.1.2:8080", "10.244.1.3:8080", "[fd00:10:244:1::2]:8080", "[fd00:10:244:1::3]:8080")
	eps[0].IsLocal, eps[2].IsLocal = true, true
	t.Endpoints[ds] = eps
	t.Services[v4only] = &proxy.ServicePort{Name: v4only, ClusterIPs: []netip.Addr{addr("10.96.0.21")}, Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30091,
		ExternalIPs: []netip.Addr{addr("2001:db8:1::8")}}
	t.Endpoints[v4only] = readyEndpoints("10.244.1.4:8080")
	return t
}

func dualStackFake(t *testing.T, fam v1.IPFamily, table *proxy.Table) *iptablestest.FakeKernel {
	t.Helper()
	f := iptablestest.NewFakeKernel(fam)
	f.SetLocalAddrs(addr("192.168.1.10"), addr("2001:db8::1"))
	cidrs := []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd00:10:244::/48")}
	b, err := NewWithKernel(Options{Family: fam, MasqueradeBit: 14, ClusterCIDRs: cidrs}, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(table, nil, true); err != nil {
		t.Fatalf("%s sync: %v\n%s", fam, err, f.LastPayload())
	}
	return f
}

func TestGoldenDualStackPayloads(t *testing.T) {
	checkGolden(t, "dualstack-ipv4.golden", dualStackFake(t, v1.IPv4Protocol, dualStackTable()).LastPayload())
	checkGolden(t, "dualstack-ipv6.golden", dualStackFake(t, v1.IPv6Protocol, dualStackTable()).LastPayload())
}

// TestDualStackEachFamilyItsOwnEndpoints: each table DNATs a dual-stack
// Service's frontends of its family to its family's endpoints only.
func TestDualStackEachFamilyItsOwnEndpoints(t *testing.T) {
	v4 := []string{"10.244.1.2:8080", "10.244.1.3:8080"}
	v6 := []string{"[fd00:10:244:1::2]:8080", "[fd00:10:244:1::3]:8080"}
	f4 := dualStackFake(t, v1.IPv4Protocol, dualStackTable())
	f6 := dualStackFake(t, v1.IPv6Protocol, dualStackTable())
	for _, tc := range []struct {
		name string
		f    *iptablestest.FakeKernel
		p    iptablestest.Packet
		want []iptablestest.Outcome
	}{
		{"IPv4 ClusterIP", f4, iptablestest.TCPPacket("10.244.2.5", "10.96.0.20", 80, iptablestest.FromOutside), spread(false, 0.5, v4...)},
		{"IPv6 ClusterIP", f6, iptablestest.TCPPacket("fd00:10:244:2::5", "fd00:10:96::14", 80, iptablestest.FromOutside), spread(false, 0.5, v6...)},
		{"IPv6 ClusterIP from outside the cluster", f6, iptablestest.TCPPacket("2001:db8::10", "fd00:10:96::14", 80, iptablestest.FromOutside), spread(true, 0.5, v6...)},
		{"IPv4 NodePort", f4, iptablestest.TCPPacket("192.0.2.10", "192.168.1.10", 30090, iptablestest.FromOutside), spread(true, 0.5, v4...)},
		{"IPv6 NodePort", f6, iptablestest.TCPPacket("2001:db8::10", "2001:db8::1", 30090, iptablestest.FromOutside), spread(true, 0.5, v6...)},
		{"IPv6 external IP", f6, iptablestest.TCPPacket("2001:db8::10", "2001:db8:1::7", 80, iptablestest.FromOutside), spread(true, 0.5, v6...)},
		{"IPv4-only Service: no IPv6 NodePort", f6, iptablestest.TCPPacket("2001:db8::10", "2001:db8::1", 30091, iptablestest.FromOutside), iptablestest.Accepted()},
		{"IPv4-only Service: no IPv6 external IP", f6, iptablestest.TCPPacket("2001:db8::10", "2001:db8:1::8", 80, iptablestest.FromOutside), iptablestest.Accepted()},
		{"IPv4-only Service, IPv4 NodePort", f4, iptablestest.TCPPacket("192.0.2.10", "192.168.1.10", 30091, iptablestest.FromOutside), spread(true, 1, "10.244.1.4:8080")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, tc.f, tc.p), tc.want)
		})
	}
	// Hairpin and affinity rules name the family's own addresses only.
	for _, c := range []struct {
		f     *iptablestest.FakeKernel
		other string // a pod address prefix of the other family
	}{{f4, "fd00:10:244:"}, {f6, "10.244."}} {
		for _, line := range strings.Split(c.f.Dump(), "\n") {
			if strings.Contains(line, c.other) {
				t.Errorf("table has a rule of the other family: %s", line)
			}
		}
	}
	if d := f6.Dump(); strings.Contains(d, "default/v4only") {
		t.Errorf("the SingleStack IPv4 Service has IPv6 rules:\n%s", d)
	}
}

// TestDualStackTargetsPerFamily: the ready-else-terminating choice is made
// per family, as kube-proxy's per-family proxiers do: ready IPv4
// endpoints do not hide the IPv6 ones that are only terminating, and a
// family without endpoints rejects while the other serves.
func TestDualStackTargetsPerFamily(t *testing.T) {
	table := dualStackTable()
	ds := svcName("ds")
	eps := readyEndpoints("10.244.1.2:8080", "[fd00:10:244:1::2]:8080")
	eps[1].Ready, eps[1].Serving, eps[1].Terminating = false, true, true
	table.Endpoints[ds] = eps
	f6 := dualStackFake(t, v1.IPv6Protocol, table)
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f6, iptablestest.TCPPacket("fd00:10:244:2::5", "fd00:10:96::14", 80, iptablestest.FromOutside)),
		spread(false, 1, "[fd00:10:244:1::2]:8080"))

	table.Endpoints[ds] = readyEndpoints("10.244.1.2:8080")
	f6 = dualStackFake(t, v1.IPv6Protocol, table)
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f6, iptablestest.TCPPacket("fd00:10:244:2::5", "fd00:10:96::14", 80, iptablestest.FromOutside)), []iptablestest.Outcome{{Verdict: iptablestest.Reject, Probability: 1}})
	f4 := dualStackFake(t, v1.IPv4Protocol, table)
	iptablestest.AssertOutcomes(t, iptablestest.MustTrace(t, f4, iptablestest.TCPPacket("10.244.2.5", "10.96.0.20", 80, iptablestest.FromOutside)), spread(false, 1, "10.244.1.2:8080"))
}
