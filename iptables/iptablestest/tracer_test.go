package iptablestest

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

var (
	addr = netip.MustParseAddr
	ap   = netip.MustParseAddrPort
)

func TestTraceAddressMasks(t *testing.T) {
	// rule rejects dst and lets otherDst through.
	for _, tc := range []struct {
		fam                 v1.IPFamily
		rule, dst, otherDst string
	}{
		{v1.IPv4Protocol, "-d 0.0.0.5/0.0.0.255", "10.96.3.5", "10.96.3.6"},
		{v1.IPv4Protocol, "! -d 0.0.0.5/0.0.0.255", "10.96.3.6", "10.96.3.5"},
		{v1.IPv4Protocol, "-d 10.96.0.0/12", "10.100.0.1", "10.112.0.1"},
		{v1.IPv6Protocol, "-d ::5/::ff", "fd00::1:5", "fd00::1:6"},
		{v1.IPv6Protocol, "-d fd00::/64", "fd00::9", "fd01::9"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			f := NewFakeKernel(tc.fam)
			mustRestore(t, f, "*filter", "-A FORWARD "+tc.rule+" -j REJECT", "COMMIT")
			src := "10.0.0.1"
			if tc.fam == v1.IPv6Protocol {
				src = "fd00::100"
			}
			AssertOutcomes(t, MustTrace(t, f, TCPPacket(src, tc.dst, 80, FromOutside)), []Outcome{{Verdict: Reject, Probability: 1}})
			AssertOutcomes(t, MustTrace(t, f, TCPPacket(src, tc.otherDst, 80, FromOutside)), Accepted())
		})
	}
}

func TestTraceProtocolsAndPorts(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	mustRestore(t, f, "*filter",
		"-A FORWARD -p udp -m udp --dport 53 -j ACCEPT",
		"-A FORWARD -p tcp -m tcp --dport 30000:30015 -j REJECT",
		"-A FORWARD -p tcp ! --dport 80 -j DROP",
		"COMMIT")
	for _, tc := range []struct {
		proto v1.Protocol
		port  int
		want  Verdict
	}{
		{v1.ProtocolUDP, 53, Accept}, {v1.ProtocolTCP, 30000, Reject}, {v1.ProtocolTCP, 30015, Reject},
		{v1.ProtocolTCP, 30016, Drop}, {v1.ProtocolTCP, 80, Accept}, {v1.ProtocolUDP, 30000, Accept},
	} {
		p := Packet{Src: addr("10.0.0.1"), Dst: addr("10.0.0.2"), Proto: tc.proto, DPort: tc.port}
		AssertOutcomes(t, MustTrace(t, f, p), []Outcome{{Verdict: tc.want, Probability: 1}})
	}
}

// Three rules with probabilities 1/3, 1/2, 1 (kube-proxy's scheme) give
// each endpoint a third of new connections.
func TestTraceStatisticExploresEveryBranch(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	mustRestore(t, f, "*nat", ":SVC - [0:0]",
		"-A SVC -p tcp -m statistic --mode random --probability 0.3333333333 -j DNAT --to-destination 10.1.0.1:8080",
		"-A SVC -p tcp -m statistic --mode random --probability 0.5000000000 -j DNAT --to-destination 10.1.0.2:8080",
		"-A SVC -p tcp -j DNAT --to-destination 10.1.0.3:8080",
		"-A PREROUTING -d 10.96.0.1 -j SVC",
		"COMMIT")
	third := 1.0 / 3
	AssertOutcomes(t, MustTrace(t, f, TCPPacket("10.0.0.1", "10.96.0.1", 80, FromOutside)), []Outcome{
		{Verdict: Accept, DNAT: ap("10.1.0.1:8080"), Probability: third},
		{Verdict: Accept, DNAT: ap("10.1.0.2:8080"), Probability: third},
		{Verdict: Accept, DNAT: ap("10.1.0.3:8080"), Probability: third},
	})
}

// Branches that end the same way are merged.
func TestTraceMergesIdenticalOutcomes(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	mustRestore(t, f, "*filter", ":A - [0:0]",
		`-A A -j LOG --log-prefix "log is a no-op"`,
		"-A A -m statistic --mode random --probability 0.25 -j ACCEPT",
		"-A A -m statistic --mode random --probability 0.5 -j RETURN",
		"-A A -j DROP",
		"-A FORWARD -j A",
		"COMMIT")
	AssertOutcomes(t, MustTrace(t, f, TCPPacket("10.0.0.1", "10.0.0.2", 80, FromOutside)), []Outcome{
		{Verdict: Accept, Probability: 0.25 + 0.75*0.5},
		{Verdict: Drop, Probability: 0.75 * 0.5},
	})
}

func TestTraceMarkMasqueradeAndCtstate(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	mustRestore(t, f, "*nat", ":M - [0:0]",
		"-A PREROUTING ! -s 10.244.0.0/16 -j MARK --or-mark 0x4000",
		"-A PREROUTING -j DNAT --to-destination 10.244.1.1",
		"-A POSTROUTING -j M",
		"-A M -m mark ! --mark 0x4000/0x4000 -j RETURN",
		"-A M -j MARK --xor-mark 0x4000",
		"-A M -j MASQUERADE",
		"COMMIT",
		"*filter",
		"-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j DROP",
		"-A FORWARD -m conntrack ! --ctstate DNAT -j DROP",
		"-A FORWARD -m mark --mark 0x4000/0x4000 -j ACCEPT",
		"-A FORWARD -m conntrack --ctstate NEW -j ACCEPT",
		"COMMIT")
	AssertOutcomes(t, MustTrace(t, f, TCPPacket("192.0.2.1", "10.96.0.1", 80, FromOutside)),
		[]Outcome{{Verdict: Accept, DNAT: ap("10.244.1.1:80"), Masqueraded: true, Probability: 1}})
	AssertOutcomes(t, MustTrace(t, f, TCPPacket("10.244.2.2", "10.96.0.1", 80, FromOutside)),
		[]Outcome{{Verdict: Accept, DNAT: ap("10.244.1.1:80"), Probability: 1}})
}

func TestTraceRoutesByLocalAddress(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	f.SetLocalAddrs(addr("192.168.1.10"))
	mustRestore(t, f, "*filter",
		"-A INPUT -m addrtype --dst-type LOCAL -j REJECT",
		"-A FORWARD -j DROP",
		"-A OUTPUT -d 192.0.2.0/24 -j REJECT --reject-with tcp-reset",
		"COMMIT")
	assertVerdicts(t, f, []verdictCase{
		{TCPPacket("192.0.2.1", "192.168.1.10", 80, FromOutside), Reject}, // local: INPUT
		{TCPPacket("192.0.2.1", "192.168.1.11", 80, FromOutside), Drop},   // routed: FORWARD
		{TCPPacket("192.168.1.10", "192.0.2.7", 80, FromLocalProcess), Reject},
		{TCPPacket("192.168.1.10", "127.0.0.1", 80, FromLocalProcess), Reject}, // loops back: INPUT
		{TCPPacket("192.168.1.10", "198.51.100.1", 80, FromLocalProcess), Accept},
	})
}

type verdictCase struct {
	p    Packet
	want Verdict
}

// assertVerdicts traces each packet, which must meet one certain fate.
func assertVerdicts(t *testing.T, f *FakeKernel, cases []verdictCase) {
	t.Helper()
	for _, tc := range cases {
		AssertOutcomes(t, MustTrace(t, f, tc.p), []Outcome{{Verdict: tc.want, Probability: 1}})
	}
}

func TestTraceFollowsPolicy(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	mustRestore(t, f, "*filter", ":FORWARD DROP [0:0]", ":A - [0:0]", "-A A -j RETURN", "-A FORWARD -j A", "COMMIT")
	AssertOutcomes(t, MustTrace(t, f, TCPPacket("10.0.0.1", "10.0.0.2", 80, FromOutside)), []Outcome{{Verdict: Drop, Probability: 1}})
}

func TestTraceIPv6DNAT(t *testing.T) {
	f := NewFakeKernel(v1.IPv6Protocol)
	mustRestore(t, f, "*nat", "-A OUTPUT -d fd00:96::a/128 -p tcp --dport 80 -j DNAT --to-destination [fd00:244::2]:8080", "COMMIT")
	AssertOutcomes(t, MustTrace(t, f, TCPPacket("fd00::1", "fd00:96::a", 80, FromLocalProcess)),
		[]Outcome{{Verdict: Accept, DNAT: ap("[fd00:244::2]:8080"), Probability: 1}})
}

func TestTraceRefusesWhatItCannotEvaluate(t *testing.T) {
	for _, rule := range []string{
		"-A FORWARD -i eth0 -j ACCEPT",
		"-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT",
		"-A FORWARD -p tcp -m tcp --sport 80 -j ACCEPT",
		"-A FORWARD -m statistic --mode nth --every 2 -j ACCEPT",
		"-A FORWARD -m addrtype --dst-type UNICAST -j ACCEPT",
		"-A FORWARD -m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT",
		"-A FORWARD -p tcp -m tcp --tcp-flags SYN,ACK SYN -j ACCEPT",
		"-A FORWARD -m conntrack --ctorigdst 10.0.0.1 -j ACCEPT",
	} {
		t.Run(rule, func(t *testing.T) {
			f := NewFakeKernel(v1.IPv4Protocol)
			mustRestore(t, f, "*filter", rule, "COMMIT")
			_, err := f.Trace(TCPPacket("10.0.0.1", "10.0.0.2", 80, FromOutside))
			if err == nil || !strings.Contains(err.Error(), errUnsupported.Error()) {
				t.Fatalf("err = %v, want unsupported", err)
			}
		})
	}
}

func TestTraceChecksPacket(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	for _, p := range []Packet{
		{Src: addr("10.0.0.1"), Proto: v1.ProtocolTCP},
		TCPPacket("fd00::1", "fd00::2", 80, FromOutside),
		{Src: addr("10.0.0.1"), Dst: addr("10.0.0.2"), DPort: 80},
	} {
		if _, err := f.Trace(p); err == nil {
			t.Errorf("Trace(%+v) accepted a bad packet", p)
		}
	}
}

func ExampleFakeKernel_Trace() {
	f := NewFakeKernel(v1.IPv4Protocol)
	_ = f.Restore([]byte("*nat\n-A PREROUTING -p tcp -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.1.0.1:80\n" +
		"-A PREROUTING -p tcp -j DNAT --to-destination 10.1.0.2:80\nCOMMIT\n"))
	out, _ := f.Trace(Packet{Src: addr("10.0.0.1"), Dst: addr("10.96.0.1"), Proto: v1.ProtocolTCP, DPort: 80})
	for _, o := range out {
		fmt.Println(o)
	}
	// Output:
	// Accept DNAT 10.1.0.1:80 (p=0.5000)
	// Accept DNAT 10.1.0.2:80 (p=0.5000)
}

// --src-type LOCAL matches packets whose source is one of the node's own
// addresses, whatever the origin (externalTrafficPolicy Local's rules
// short-circuit the node's own connections with it).
func TestTraceAddrtypeSrcLocal(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	f.SetLocalAddrs(addr("192.168.1.10"))
	mustRestore(t, f, "*filter",
		"-A OUTPUT -m addrtype --src-type LOCAL -j REJECT",
		"-A FORWARD -m addrtype ! --src-type LOCAL -j DROP",
		"COMMIT")
	assertVerdicts(t, f, []verdictCase{
		{TCPPacket("192.168.1.10", "192.0.2.7", 80, FromLocalProcess), Reject},
		{TCPPacket("192.0.2.1", "192.168.1.11", 80, FromOutside), Drop},
		{TCPPacket("192.168.1.10", "192.168.1.11", 80, FromOutside), Accept},
	})
}
