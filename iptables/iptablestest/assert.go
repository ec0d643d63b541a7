package iptablestest

import (
	"math"
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// Helpers for the tests that trace packets through a FakeKernel: the
// fake's own and those of the backends that write to it.

// TCPPacket is the first packet of a TCP connection from src to
// dst:port; it panics on a malformed address, as it is a test helper.
func TCPPacket(src, dst string, port int, origin Origin) Packet {
	return Packet{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: v1.ProtocolTCP, DPort: port, Origin: origin}
}

// MustTrace traces p through f, failing the test when the tracer cannot.
func MustTrace(t testing.TB, f *FakeKernel, p Packet) []Outcome {
	t.Helper()
	out, err := f.Trace(p)
	if err != nil {
		t.Fatalf("trace: %v", err)
	}
	return out
}

// AssertOutcomes fails the test unless got and want are the same
// outcomes in the same order, probabilities within 1e-6.
func AssertOutcomes(t testing.TB, got, want []Outcome) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, w := got[i], want[i]
		ok = g.Verdict == w.Verdict && g.DNAT == w.DNAT && g.Masqueraded == w.Masqueraded &&
			math.Abs(g.Probability-w.Probability) < 1e-6
	}
	if !ok {
		t.Fatalf("outcomes = %v, want %v", got, want)
	}
}

// Accepted is the fate of a packet that no rule changes or stops.
func Accepted() []Outcome { return []Outcome{{Verdict: Accept, Probability: 1}} }
