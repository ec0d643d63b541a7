package iptablestest

import (
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// stubSets is a FakeIPSets of fixed networks.
type stubSets map[string][]netip.Prefix

func (s stubSets) HasSet(name string) bool { _, ok := s[name]; return ok }

func (s stubSets) SetContains(name string, a netip.Addr) bool {
	for _, p := range s[name] {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// TestTraceSetLimitNFLOG: -m set matches by the source or destination
// as the set says, "!" inverts it, -m limit and NFLOG let the packet go
// on, and REJECT ends it.
func TestTraceSetLimitNFLOG(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	f.UseIPSets(stubSets{"pods": {netip.MustParsePrefix("10.1.0.0/24")}, "except": {netip.MustParsePrefix("10.1.0.128/25")}})
	mustRestore(t, f, "*filter", ":FW - [0:0]",
		"-A FORWARD -j FW",
		"-A FW -m conntrack --ctstate RELATED,ESTABLISHED -j REJECT",
		"-A FW -m set --match-set pods src -m set ! --match-set except src -j RETURN",
		"-A FW -p tcp -m set --match-set pods dst -m tcp --dport 80 -j RETURN",
		`-A FW -m limit --limit 10/second --limit-burst 20 -j NFLOG --nflog-group 100 --nflog-prefix "deny"`,
		"-A FW -j REJECT --reject-with icmp-admin-prohibited",
		"COMMIT")
	for _, tc := range []struct {
		src, dst string
		port     int
		want     Verdict
	}{
		{"10.1.0.5", "10.9.0.1", 1, Accept},   // in pods, not in except
		{"10.1.0.200", "10.9.0.1", 1, Reject}, // in except
		{"10.9.0.1", "10.1.0.7", 80, Accept},  // dst in pods, port 80
		{"10.9.0.1", "10.1.0.7", 81, Reject},
		{"10.9.0.1", "10.9.0.2", 80, Reject},
	} {
		out := MustTrace(t, f, TCPPacket(tc.src, tc.dst, tc.port, FromOutside))
		if len(out) != 1 || out[0].Verdict != tc.want {
			t.Errorf("%s -> %s:%d = %v, want %s", tc.src, tc.dst, tc.port, out, tc.want)
		}
	}
	if !f.ReferencesSet("except") || f.ReferencesSet("other") {
		t.Error("ReferencesSet does not see the rules' sets")
	}
	err := f.Restore([]byte("*filter\n-A FW -m set --match-set missing dst -j RETURN\nCOMMIT\n"))
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("restore naming a missing set: %v", err)
	}
	err = f.Restore([]byte("*filter\n-A FW -m limit --limit 10/fortnight -j RETURN\nCOMMIT\n"))
	if err == nil {
		t.Error("a bad limit rate was accepted")
	}
}
