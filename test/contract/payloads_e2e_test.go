//go:build e2e

package contract

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// payloadCase is one iptables-restore --noflush payload, restored after
// setup (which both sides must accept) into a fresh namespace and a
// fresh fake. rejected is what the kernel does with it, checked too, so
// that a case cannot pass by both sides accepting what it means to test.
type payloadCase struct {
	name     string
	ipv6     bool
	setup    []string
	payload  []string
	rejected bool
	// legacyOnly: only iptables-legacy rejects it (nf_tables accepts);
	// the fake rejects it, as what a node's iptables may refuse.
	legacyOnly bool
}

func restoreText(lines []string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

func runPayloadCases(t *testing.T, cases []payloadCase) {
	eachVariant(t, func(t *testing.T, v variant) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { runPayloadCase(t, v, tc) })
		}
	})
}

func runPayloadCase(t *testing.T, v variant, tc payloadCase) {
	fam := v1.IPv4Protocol
	if tc.ipv6 {
		fam = v1.IPv6Protocol
	}
	w := newTwin(t, fam)
	if tc.setup != nil {
		if err := w.Restore(restoreText(tc.setup)); err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	p := restoreText(tc.payload)
	errK, errF := w.kernel.Restore(p), w.fake.Restore(p)
	kernelRejects := tc.rejected && !(tc.legacyOnly && v.name != "legacy")
	if (errK != nil) != kernelRejects {
		t.Fatalf("the kernel's answer is %v; the case expects rejected=%v", errK, kernelRejects)
	}
	if (errF != nil) != tc.rejected {
		t.Errorf("the fake's answer is %v; the kernel's %v", errF, errK)
	}
	if kernelRejects == tc.rejected {
		w.sameState("after the payload")
	}
}

// TestFakeRejectsWhatTheKernelRejects: payloads iptables-restore refuses
// must fail on the fake too, and leave both in the same state (a failed
// table changes nothing; tables committed before it stay).
func TestFakeRejectsWhatTheKernelRejects(t *testing.T) {
	referenced := []string{"*filter", ":NNT-A - [0:0]", "-A INPUT -j NNT-A", "COMMIT"}
	runPayloadCases(t, []payloadCase{
		{name: "jump to a missing chain", payload: []string{"*filter", "-A INPUT -j NNT-MISSING", "COMMIT"}, rejected: true},
		{name: "append to a missing chain", payload: []string{"*filter", "-A NNT-MISSING -j ACCEPT", "COMMIT"}, rejected: true},
		{name: "delete a referenced chain", setup: referenced, payload: []string{"*filter", "-X NNT-A", "COMMIT"}, rejected: true},
		{name: "delete a non-empty chain", setup: []string{"*filter", ":NNT-A - [0:0]", "-A NNT-A -j ACCEPT", "COMMIT"},
			payload: []string{"*filter", "-X NNT-A", "COMMIT"}, rejected: true},
		{name: "delete a built-in chain", payload: []string{"*filter", "-X INPUT", "COMMIT"}, rejected: true},
		{name: "delete a missing rule", payload: []string{"*filter", "-D INPUT -s 10.0.0.1/32 -j DROP", "COMMIT"}, rejected: true},
		{name: "DROP in nat", payload: []string{"*nat", "-A PREROUTING -j DROP", "COMMIT"}, rejected: true},
		{name: "REJECT in nat", payload: []string{"*nat", "-A PREROUTING -j REJECT", "COMMIT"}, rejected: true},
		{name: "DNAT in filter", payload: []string{"*filter", "-A FORWARD -p tcp -j DNAT --to-destination 10.0.0.1:80", "COMMIT"}, rejected: true},
		{name: "DNAT to a port without a protocol", payload: []string{"*nat", "-A PREROUTING -j DNAT --to-destination 10.0.0.1:80", "COMMIT"}, rejected: true},
		{name: "MASQUERADE in PREROUTING", payload: []string{"*nat", "-A PREROUTING -j MASQUERADE", "COMMIT"}, rejected: true},
		{name: "DNAT reached from POSTROUTING", payload: []string{"*nat", ":NNT-A - [0:0]", "-A NNT-A -p tcp -j DNAT --to-destination 10.0.0.1", "-A POSTROUTING -j NNT-A", "COMMIT"}, rejected: true},
		{name: "a loop", payload: []string{"*filter", ":NNT-A - [0:0]", ":NNT-B - [0:0]", "-A NNT-A -j NNT-B", "-A NNT-B -j NNT-A", "-A INPUT -j NNT-A", "COMMIT"}, rejected: true},
		{name: "a chain name of 29 characters", payload: []string{"*filter", ":NNT-" + strings.Repeat("X", 25) + " - [0:0]", "COMMIT"}, rejected: true},
		{name: "a user chain with a policy", payload: []string{"*filter", ":NNT-A ACCEPT [0:0]", "COMMIT"}, rejected: true, legacyOnly: true},
		{name: "no COMMIT", payload: []string{"*filter", ":NNT-A - [0:0]"}, rejected: true},
		{name: "the second table fails, the first stays", payload: []string{"*nat", ":NNT-OK - [0:0]", "COMMIT", "*filter", "-A INPUT -j NNT-MISSING", "COMMIT"}, rejected: true},
		{name: "a match on a missing set", payload: []string{"*filter", "-A INPUT -m set --match-set nnt-missing src -j DROP", "COMMIT"}, rejected: true},
		{name: "an IPv4 reject type in IPv6", ipv6: true, payload: []string{"*filter", "-A INPUT -p tcp -j REJECT --reject-with icmp-port-unreachable", "COMMIT"}, rejected: true},
		{name: "an IPv4 address in IPv6", ipv6: true, payload: []string{"*filter", "-A INPUT -s 10.0.0.1 -j DROP", "COMMIT"}, rejected: true},
	})
}

// TestFakeAppliesWhatTheKernelApplies: valid commands and matches the
// fake models (those the backend and the firewall write, and the restore
// commands around them) leave the same tables in both.
func TestFakeAppliesWhatTheKernelApplies(t *testing.T) {
	runPayloadCases(t, []payloadCase{
		{name: "declaring a chain flushes it", setup: []string{"*filter", ":NNT-A - [0:0]", "-A NNT-A -j ACCEPT", "COMMIT"},
			payload: []string{"*filter", ":NNT-A - [0:0]", "-A NNT-A -j RETURN", "COMMIT"}},
		{name: "policy, insert, delete by number and by spec", payload: []string{"*filter", ":FORWARD DROP [0:0]", ":NNT-A - [0:0]",
			"-A NNT-A -s 10.0.0.1/32 -j ACCEPT", "-I NNT-A -s 10.0.0.2/32 -j ACCEPT", "-I NNT-A 2 -s 10.0.0.3 -j DROP",
			"-D NNT-A 1", "-D NNT-A -s 10.0.0.3/32 -j DROP", "-A INPUT -j NNT-A", "COMMIT"}},
		{name: "delete a chain once its referrer is flushed",
			setup:   []string{"*filter", ":NNT-A - [0:0]", ":NNT-B - [0:0]", "-A NNT-B -j NNT-A", "-A INPUT -j NNT-B", "COMMIT"},
			payload: []string{"*filter", "-F NNT-B", "-X NNT-A", "COMMIT"}},
		{name: "flush and delete everything", setup: []string{"*filter", ":NNT-A - [0:0]", ":NNT-B - [0:0]", "-A NNT-B -j NNT-A", "-A INPUT -j NNT-B", "COMMIT"},
			payload: []string{"*filter", "-F", "-X", "COMMIT"}},
		{name: "filter matches and targets", payload: []string{"*filter", ":NNT-A - [0:0]",
			"-A NNT-A -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
			"-A NNT-A -m conntrack --ctstate NEW -m addrtype --src-type LOCAL -j ACCEPT",
			"-A NNT-A -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j RETURN",
			"-A NNT-A -m mark --mark 0x4000/0x4000 -j ACCEPT",
			"-A NNT-A -m mark ! --mark 0x1 -j MARK --set-xmark 0x2/0x6",
			"-A NNT-A -p udp -m udp --dport 53 -j ACCEPT",
			"-A NNT-A -p tcp --dport 30000:30015 -j REJECT --reject-with tcp-reset",
			"-A NNT-A -p sctp -m sctp --dport 9000 -j REJECT",
			"-A NNT-A -d 0.0.0.7/0.0.0.255 -j DROP",
			`-A NNT-A -s 10.0.0.0/8 -m comment --comment "a comment with spaces" -j NFLOG --nflog-group 5 --nflog-prefix "nnt drop"`,
			"-A NNT-A -m limit --limit 5/min --limit-burst 10 -j NFLOG --nflog-group 5",
			"-A NNT-A -j NFLOG --nflog-group 0 --nflog-prefix x",
			"-A NNT-A -m limit --limit 10/second --limit-burst 20 -j ACCEPT",
			"-A NNT-A -m limit --limit 60/minute --limit-burst 5 -j ACCEPT",
			"-A NNT-A -m limit --limit 7/m -j ACCEPT",
			"-A NNT-A -m limit --limit-burst 7 -j ACCEPT",
			"-A NNT-A -j MARK --or-mark 0x4000",
			"-A NNT-A -j MARK --xor-mark 0x4000",
			"-A FORWARD -j NNT-A", "COMMIT"}},
		{name: "nat matches and targets", payload: []string{"*nat", ":NNT-A - [0:0]", ":NNT-P - [0:0]",
			"-A NNT-A -p tcp -m statistic --mode random --probability 0.3333333333 -j DNAT --to-destination 10.244.1.2:8080",
			"-A NNT-A -p tcp -m recent --name NNT-R --rcheck --seconds 60 --reap --rsource -j DNAT --to-destination 10.244.1.3:8080",
			"-A NNT-A -p udp -j DNAT --to-destination 10.244.1.4",
			"-A NNT-P -m mark ! --mark 0x4000/0x4000 -j RETURN",
			"-A NNT-P -j MASQUERADE --random-fully",
			"-A NNT-P -s 10.244.1.5/32 -d 10.244.1.5/32 -j MASQUERADE",
			"-A PREROUTING -j NNT-A", "-A OUTPUT -j NNT-A", "-A POSTROUTING -j NNT-P", "COMMIT"}},
		{name: "IPv6", ipv6: true, payload: []string{"*nat", ":NNT-A - [0:0]",
			"-A NNT-A -d ::7/::ff -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00::2]:8080",
			"-A NNT-A -d fd00:96::a -p tcp -m recent --name NNT-R --set -j DNAT --to-destination [fd00::3]:8080",
			"-A PREROUTING -j NNT-A", "COMMIT",
			"*filter", "-A INPUT ! -s fd00::/64 -p tcp -j REJECT", "-A INPUT -p tcp -j REJECT --reject-with icmp6-adm-prohibited", "COMMIT"}},
	})
}
