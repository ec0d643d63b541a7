package firewall

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/netpol"
)

// probeAddrs are the ends of the traced connections: local and remote
// pods, the node, addresses on both sides of every except and CIDR edge,
// and an unknown address inside the node's pod range.
var probeAddrs = []string{
	"10.1.0.10", "10.1.0.11", "10.1.0.20", "10.1.0.30", "10.1.0.99", // local pods, unknown
	"10.2.0.10", "10.2.0.20", "10.2.0.30", "10.0.0.1", // remote pods, node
	"192.168.0.5", "192.168.1.5", "192.168.2.5", "192.168.2.200", "192.169.0.1", "8.8.8.8",
	"fd01::10", "fd01::99", "fd02::30", "fd02:0:0:1::5", "fd02::5", "fd03::1", "fd00::1",
}

var probePorts = []struct {
	proto v1.Protocol
	port  int
}{
	{protoTCP, 79}, {protoTCP, 80}, {protoTCP, 443}, {protoTCP, 7999}, {protoTCP, 8000}, {protoTCP, 8100}, {protoTCP, 8101},
	{protoUDP, 53}, {protoUDP, 54}, {protoUDP, 8080}, {protoSCTP, 9000}, {protoSCTP, 9001}, {protoTCP, 9000},
}

// TestTracedVerdictsMatchModel renders the test Model into the fake
// kernels and traces the first packet of every (src, dst, proto, port)
// probe: the ruleset must accept exactly what Model.Verdict allows (plus
// the unknown-pod gate, which the Model leaves to the firewall).
func TestTracedVerdictsMatchModel(t *testing.T) {
	for _, logDrops := range []bool{false, true} {
		t.Run(fmt.Sprintf("logDrops=%t", logDrops), func(t *testing.T) {
			f := newFakes()
			m := compute(t, testInput())
			mustSync(t, f.firewall(t, Options{LogDrops: logDrops}), m, false)
			allowed, denied := traceAll(t, f, m)
			if allowed < 50 || denied < 50 {
				t.Fatalf("probes too one-sided to prove anything: %d allowed, %d denied", allowed, denied)
			}
		})
	}
}

// traceAll checks every probe and returns how many were allowed and
// denied.
func traceAll(t *testing.T, f *fakes, m *netpol.Model) (allowed, denied int) {
	t.Helper()
	eachProbe(func(src, dst netip.Addr, port int, proto v1.Protocol) {
		want, why := expectedVerdict(m, src, dst, port, proto)
		got := trace(t, f, src, dst, port, proto)
		if got != want {
			t.Errorf("%s %s -> %s:%d: traced %s, want %s (%v)", proto, src, dst, port, got, want, why)
		}
		if want == iptablestest.Accept {
			allowed++
		} else {
			denied++
		}
	})
	return allowed, denied
}

// eachProbe calls fn for every (src, dst, port) probe of one family.
func eachProbe(fn func(src, dst netip.Addr, port int, proto v1.Protocol)) {
	for _, s := range probeAddrs {
		for _, d := range probeAddrs {
			src, dst := addr(s), addr(d)
			if src.Is4() != dst.Is4() {
				continue
			}
			for _, pp := range probePorts {
				fn(src, dst, pp.port, pp.proto)
			}
		}
	}
}

// expectedVerdict is Model.Verdict plus the gate: with policies present,
// an address of this node's pod ranges that is neither a local pod nor
// the node is rejected both ways, but for traffic with the node itself,
// which never crosses FORWARD and is always allowed.
func expectedVerdict(m *netpol.Model, src, dst netip.Addr, port int, proto v1.Protocol) (iptablestest.Verdict, []string) {
	withNode := slices.Contains(m.NodeIPs, src) || slices.Contains(m.NodeIPs, dst)
	if !withNode && (unknownLocal(m, src) || unknownLocal(m, dst)) {
		return iptablestest.Reject, []string{"unknown address in the node's pod range"}
	}
	ok, why := m.Verdict(netpol.EndpointIP(src), netpol.EndpointIP(dst), int32(port), proto)
	if ok {
		return iptablestest.Accept, why
	}
	return iptablestest.Reject, why
}

func unknownLocal(m *netpol.Model, a netip.Addr) bool {
	if m.PolicyCount == 0 || slices.Contains(m.NodeIPs, a) {
		return false
	}
	for _, p := range m.LocalPods {
		if slices.Contains(p.IPs, a) {
			return false
		}
	}
	for _, c := range m.PodCIDRs {
		if c.Contains(a) {
			return true
		}
	}
	return false
}

// trace follows one packet: from the node itself it starts in OUTPUT,
// anything else arrives on an interface (a pod's veth, or another node).
func trace(t *testing.T, f *fakes, src, dst netip.Addr, port int, proto v1.Protocol) iptablestest.Verdict {
	t.Helper()
	k := f.v4
	if src.Is6() {
		k = f.v6
	}
	origin := iptablestest.FromOutside
	if slices.Contains(nodeIPs, src) {
		origin = iptablestest.FromLocalProcess
	}
	out, err := k.Trace(iptablestest.Packet{Src: src, Dst: dst, Proto: proto, DPort: port, Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 {
		t.Fatalf("%s -> %s: several outcomes %v", src, dst, out)
	}
	return out[0].Verdict
}

// TestTracedVerdictsAfterChanges replays a sequence of partial syncs and
// re-checks the verdicts after each: incremental updates must leave the
// same ruleset a fresh full sync would.
func TestTracedVerdictsAfterChanges(t *testing.T) {
	f := newFakes()
	fw := f.firewall(t, Options{})
	in := testInput()
	mustSync(t, fw, compute(t, in), false)
	for _, change := range modelChanges() {
		t.Run(change.name, func(t *testing.T) {
			change.apply(&in)
			m := compute(t, in)
			mustSync(t, fw, m, false)
			traceAll(t, f, m)
		})
	}
}
