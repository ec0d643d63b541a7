package iptablestest

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func mustRestore(t *testing.T, f *FakeKernel, lines ...string) {
	t.Helper()
	if err := f.Restore([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		t.Fatalf("restore: %v", err)
	}
}

// restoreFails checks that payload fails with an error containing want
// and leaves the fake as it was.
func restoreFails(t *testing.T, f *FakeKernel, want string, lines ...string) {
	t.Helper()
	before := f.Dump()
	err := f.Restore([]byte(strings.Join(lines, "\n") + "\n"))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("restore error = %v, want one containing %q", err, want)
	}
	if after := f.Dump(); after != before {
		t.Fatalf("failed restore changed the state:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestFakeSaveIsCanonical(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	// Written the way the backend writes them; want is what the real
	// iptables-save v1.8.9 printed for the same lines.
	mustRestore(t, f,
		"*nat",
		":NODENET-SVC-0A - [0:0]",
		":NODENET-POSTROUTING - [0:0]",
		`-A NODENET-SVC-0A -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web:http/TCP" ! -s 10.244.0.0/16 -j MARK --or-mark 0x4000`,
		`-A NODENET-SVC-0A -d 10.96.0.10 -p tcp -m tcp --dport 80 -m comment --comment "default/web:http/TCP" -j DNAT --to-destination 10.244.1.2:8080`,
		"-A NODENET-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
		"-A NODENET-POSTROUTING -j MARK --xor-mark 0x4000",
		"-A NODENET-POSTROUTING -j MASQUERADE --random-fully",
		"-A NODENET-SVC-0A -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m recent --name NODENET-204c18f7e3a --update --seconds 10800 --reap --rsource -j DNAT --to-destination 10.244.1.2:8080",
		"-A NODENET-SVC-0A -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m recent --name NODENET-204c18f7e3a --set --rsource -j DNAT --to-destination 10.244.1.2:8080",
		`-A POSTROUTING -m comment --comment "nodenet masquerade" -j NODENET-POSTROUTING`,
		"COMMIT",
	)
	want := `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:NODENET-POSTROUTING - [0:0]
:NODENET-SVC-0A - [0:0]
-A POSTROUTING -m comment --comment "nodenet masquerade" -j NODENET-POSTROUTING
-A NODENET-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A NODENET-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A NODENET-POSTROUTING -j MASQUERADE --random-fully
-A NODENET-SVC-0A ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web:http/TCP" -j MARK --set-xmark 0x4000/0x4000
-A NODENET-SVC-0A -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web:http/TCP" -j DNAT --to-destination 10.244.1.2:8080
-A NODENET-SVC-0A -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m recent --update --seconds 10800 --reap --name NODENET-204c18f7e3a --mask 255.255.255.255 --rsource -j DNAT --to-destination 10.244.1.2:8080
-A NODENET-SVC-0A -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m recent --set --name NODENET-204c18f7e3a --mask 255.255.255.255 --rsource -j DNAT --to-destination 10.244.1.2:8080
COMMIT
`
	if got, _ := f.Save("nat"); got != want {
		t.Fatalf("Save(nat) =\n%s\nwant\n%s", got, want)
	}
}

// xt_statistic keeps the probability as a fraction of 2^31, and iptables
// prints that value with 11 decimals (kube-proxy's 0.33333333349).
func TestFakeStatisticProbabilityIsKernels(t *testing.T) {
	r, err := parseRule(families[v1.IPv4Protocol], strings.Fields("-m statistic --mode random --probability 0.3333333333 -j ACCEPT"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.String(), "-m statistic --mode random --probability 0.33333333349 -j ACCEPT"; got != want {
		t.Fatalf("rule = %q, want %q", got, want)
	}
}

func TestFakeRestoreValidation(t *testing.T) {
	base := []string{"*filter", ":A - [0:0]", ":B - [0:0]", "-A A -j B", "-A B -j ACCEPT", "COMMIT"}
	for _, tc := range []struct {
		name, want string
		lines      []string
	}{
		{"append to missing chain", "chain C does not exist", []string{"*filter", "-A C -j ACCEPT", "COMMIT"}},
		{"jump to missing chain", "chain NOPE (jumped to from A) does not exist", []string{"*filter", ":A - [0:0]", "-A A -j NOPE", "COMMIT"}},
		{"delete referenced chain", "referenced", []string{"*filter", ":B - [0:0]", "-X B", "COMMIT"}},
		{"delete non-empty chain", "not empty", []string{"*filter", "-X B", "COMMIT"}},
		{"delete built-in chain", "built-in", []string{"*filter", "-X INPUT", "COMMIT"}},
		{"delete missing chain", "does not exist", []string{"*filter", "-X C", "COMMIT"}},
		{"REJECT in nat", "only valid in the filter table", []string{"*nat", ":N - [0:0]", "-A N -j REJECT", "COMMIT"}},
		{"DNAT in filter", "only valid in the nat table", []string{"*filter", "-A A -p tcp -j DNAT --to-destination 10.0.0.1:80", "COMMIT"}},
		{"DNAT to a port without a protocol", "need TCP, UDP, SCTP or DCCP", []string{"*nat", "-A PREROUTING -j DNAT --to-destination 10.0.0.1:80", "COMMIT"}},
		{"MASQUERADE in filter", "only valid in the nat table", []string{"*filter", "-A A -j MASQUERADE", "COMMIT"}},
		{"DROP in nat", "inhibited", []string{"*nat", ":N - [0:0]", "-A N -j DROP", "COMMIT"}},
		{"MASQUERADE reachable from PREROUTING", "reachable from PREROUTING", []string{"*nat", ":N - [0:0]", "-A N -j MASQUERADE", "-A PREROUTING -j N", "COMMIT"}},
		{"DNAT reachable from POSTROUTING", "reachable from POSTROUTING", []string{"*nat", ":N - [0:0]", "-A N -j DNAT --to-destination 10.0.0.1", "-A POSTROUTING -j N", "COMMIT"}},
		{"loop", "loops back", []string{"*filter", "-A B -j A", "-A INPUT -j A", "COMMIT"}},
		{"missing COMMIT", "COMMIT expected", []string{"*filter", "-F A"}},
		{"unknown table", "table \"mangle\" does not exist", []string{"*mangle", "COMMIT"}},
		{"IPv6 address in IPv4", "is not IPv4", []string{"*filter", "-A A -d ::1 -j ACCEPT", "COMMIT"}},
		{"IPv6 reject type in IPv4", "not valid for IPv4", []string{"*filter", "-A A -j REJECT --reject-with icmp6-port-unreachable", "COMMIT"}},
		{"bad port", "bad port", []string{"*filter", "-A A -p tcp --dport 70000 -j ACCEPT", "COMMIT"}},
		{"chain name too long", "invalid chain name", []string{"*filter", ":ABCDEFGHIJKLMNOPQRSTUVWXYZ0123 - [0:0]", "COMMIT"}},
		{"unknown command", "unknown command", []string{"*filter", "-Q A", "COMMIT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFakeKernel(v1.IPv4Protocol)
			mustRestore(t, f, base...)
			restoreFails(t, f, tc.want, tc.lines...)
		})
	}
}

func TestFakeDeclareFlushesUserChainsOnly(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	mustRestore(t, f, "*filter", ":A - [0:0]", "-A A -j ACCEPT", "-A INPUT -j A", "COMMIT")
	mustRestore(t, f, "*filter", ":INPUT ACCEPT [0:0]", ":A - [0:0]", "-A A -j RETURN", "COMMIT")
	want := []string{"-N A", "-A A -j RETURN"}
	if got, _ := f.ListRules("filter", "A"); !reflect.DeepEqual(got, want) {
		t.Errorf("A = %q, want %q", got, want)
	}
	want = []string{"-P INPUT ACCEPT", "-A INPUT -j A"}
	if got, _ := f.ListRules("filter", "INPUT"); !reflect.DeepEqual(got, want) {
		t.Errorf("INPUT = %q, want %q (declaring a built-in chain must not flush it)", got, want)
	}
}

// A chain removed in the same payload that drops the last jump to it is
// fine: the referrer is flushed (declared) first.
func TestFakeDeleteChainAfterReferrerFlushed(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	mustRestore(t, f, "*nat", ":D - [0:0]", ":S - [0:0]", "-A D -j S", "-A S -j RETURN", "COMMIT")
	mustRestore(t, f, "*nat", ":D - [0:0]", ":S - [0:0]", "-X S", "COMMIT")
	if chains, _ := f.ListChains("nat"); !reflect.DeepEqual(chains, []string{"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", "D"}) {
		t.Fatalf("chains = %q", chains)
	}
}

// Like iptables-restore, each table commits at its COMMIT: an error in a
// later table leaves earlier ones applied and its own table untouched.
func TestFakeRestoreCommitsPerTable(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	mustRestore(t, f, "*filter", ":F - [0:0]", "-A F -j ACCEPT", "COMMIT")
	err := f.Restore([]byte("*nat\n:N - [0:0]\n-A N -j RETURN\nCOMMIT\n*filter\n:F - [0:0]\n-A F -j NOPE\nCOMMIT\n"))
	if err == nil || !strings.Contains(err.Error(), "line 8") {
		t.Fatalf("err = %v, want a failure at line 8", err)
	}
	if got, _ := f.ListRules("nat", "N"); !reflect.DeepEqual(got, []string{"-N N", "-A N -j RETURN"}) {
		t.Errorf("nat N = %q, want the committed nat table", got)
	}
	if got, _ := f.ListRules("filter", "F"); !reflect.DeepEqual(got, []string{"-N F", "-A F -j ACCEPT"}) {
		t.Errorf("filter F = %q, want it untouched (not flushed by the failed declaration)", got)
	}
}

func TestFakeRestoreCommands(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	mustRestore(t, f,
		"# comment", "*filter", "-N A", "-A A -s 10.0.0.1 -j ACCEPT", "-A A -s 10.0.0.3 -j ACCEPT",
		"-I A 2 -s 10.0.0.2 -j ACCEPT", "-I A -s 10.0.0.0 -j ACCEPT", "-D A -s 10.0.0.3/32 -j ACCEPT", "-D A 1",
		"-P FORWARD DROP", "COMMIT")
	want := []string{"-N A", "-A A -s 10.0.0.1/32 -j ACCEPT", "-A A -s 10.0.0.2/32 -j ACCEPT"}
	if got, _ := f.ListRules("filter", "A"); !reflect.DeepEqual(got, want) {
		t.Errorf("A = %q, want %q", got, want)
	}
	if got, _ := f.ListRules("filter", "FORWARD"); !reflect.DeepEqual(got, []string{"-P FORWARD DROP"}) {
		t.Errorf("FORWARD = %q", got)
	}
	mustRestore(t, f, "*filter", "-F", "-X", "COMMIT")
	if chains, _ := f.ListChains("filter"); !reflect.DeepEqual(chains, []string{"INPUT", "FORWARD", "OUTPUT"}) {
		t.Errorf("chains after -F -X = %q", chains)
	}
}

func TestFakeEnsureAndDeleteRule(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	spec := []string{"-m", "comment", "--comment", "nodenet service portals", "-j", "S"}
	if err := f.EnsureRule("nat", "PREROUTING", spec...); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("EnsureRule jumping to a missing chain: err = %v", err)
	}
	mustRestore(t, f, "*nat", ":S - [0:0]", "-A PREROUTING -j RETURN", "COMMIT")
	for range 2 {
		if err := f.EnsureRule("nat", "PREROUTING", spec...); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"-P PREROUTING ACCEPT", `-A PREROUTING -m comment --comment "nodenet service portals" -j S`, "-A PREROUTING -j RETURN"}
	if got, _ := f.ListRules("nat", "PREROUTING"); !reflect.DeepEqual(got, want) {
		t.Fatalf("PREROUTING = %q, want %q", got, want)
	}
	for range 2 {
		if err := f.DeleteRule("nat", "PREROUTING", spec...); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.DeleteRule("nat", "MISSING", spec...); err != nil {
		t.Fatalf("DeleteRule on a missing chain: %v", err)
	}
	if got, _ := f.ListRules("nat", "PREROUTING"); len(got) != 2 {
		t.Fatalf("PREROUTING after delete = %q", got)
	}
	if got, err := f.ListRules("nat", "MISSING"); got != nil || err != nil {
		t.Fatalf("ListRules of a missing chain = %q, %v", got, err)
	}
}

func TestFakeFailNextRestore(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	boom := errors.New("boom")
	f.FailNextRestore(boom)
	payload := "*filter\n:A - [0:0]\nCOMMIT\n"
	if err := f.Restore([]byte(payload)); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if chains, _ := f.ListChains("filter"); len(chains) != 3 {
		t.Fatalf("injected failure applied the payload: %q", chains)
	}
	mustRestore(t, f, strings.TrimSpace(payload))
	if f.Restores() != 2 || !strings.Contains(f.LastPayload(), ":A - [0:0]") {
		t.Fatalf("Restores() = %d, LastPayload() = %q", f.Restores(), f.LastPayload())
	}
}

func TestSplitLine(t *testing.T) {
	got, err := splitLine(`-A X -m comment --comment "a \"b\" c" -j  Y`)
	want := []string{"-A", "X", "-m", "comment", "--comment", `a "b" c`, "-j", "Y"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("splitLine = %q, %v; want %q", got, err, want)
	}
	if _, err := splitLine(`-A X --comment "open`); err == nil {
		t.Fatal("unterminated quote accepted")
	}
}

// Options whose printed form is not the written one, as iptables -S
// v1.8.9 printed them (checked by test/contract): NFLOG's in libxt_NFLOG's
// order, group 0 (the default) left out; -m limit's rate in its canonical
// unit (3/hour when not given), a burst of 5 (the default) left out.
func TestFakeListsOptionsAsIptablesDoes(t *testing.T) {
	f := NewFakeKernel(v1.IPv4Protocol)
	mustRestore(t, f, "*filter", ":FW - [0:0]",
		`-A FW -j NFLOG --nflog-group 5 --nflog-prefix "nnt drop"`,
		"-A FW -j NFLOG --nflog-group 0 --nflog-prefix x",
		"-A FW -m limit --limit 10/second --limit-burst 20 -j ACCEPT",
		"-A FW -m limit --limit 60/minute --limit-burst 5 -j ACCEPT",
		"-A FW -m limit --limit 7/m -j ACCEPT",
		"-A FW -m limit --limit-burst 7 -j ACCEPT",
		"COMMIT")
	got, _ := f.ListRules("filter", "FW")
	want := []string{"-N FW",
		`-A FW -j NFLOG --nflog-prefix "nnt drop" --nflog-group 5`,
		"-A FW -j NFLOG --nflog-prefix x",
		"-A FW -m limit --limit 10/sec --limit-burst 20 -j ACCEPT",
		"-A FW -m limit --limit 1/sec -j ACCEPT",
		"-A FW -m limit --limit 7/min -j ACCEPT",
		"-A FW -m limit --limit 3/hour --limit-burst 7 -j ACCEPT"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ListRules =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
