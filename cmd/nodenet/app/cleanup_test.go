package app

import (
	"errors"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxymode"
)

// TestCleanupEveryModeAndUsableFamily: every registered mode is cleaned
// in both families, an unusable family is skipped, and one family's
// failure stops neither the other family nor the other modes.
func TestCleanupEveryModeAndUsableFamily(t *testing.T) {
	var out strings.Builder
	partial := &fakeMode{name: "a", unusable: noIPv6()}
	failing := &fakeMode{name: "b", failing: map[v1.IPFamily]error{v1.IPv4Protocol: errors.New("boom")}}
	err := cleanupAll(&out, []proxymode.Mode{partial, failing}, func() error { return nil })
	if !slices.Equal(partial.cleaned, []v1.IPFamily{v1.IPv4Protocol}) || !strings.Contains(out.String(), "Skipped IPv6 a") {
		t.Errorf("mode a cleaned %v, output %q; want IPv4 only and IPv6 skipped", partial.cleaned, out.String())
	}
	if len(failing.cleaned) != 2 || err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("mode b cleaned %v, err %v; want both families tried and the error", failing.cleaned, err)
	}
}

// TestCleanupAlsoFirewall: the firewall is cleaned even when the proxy's
// cleanup fails, and both errors come back.
func TestCleanupAlsoFirewall(t *testing.T) {
	var out strings.Builder
	firewallRan := false
	fw := func() error { firewallRan = true; return nil }
	if err := cleanupAll(&out, []proxymode.Mode{&fakeMode{name: "ok"}}, fw); err != nil || !firewallRan || !strings.Contains(out.String(), "firewall") {
		t.Fatalf("cleanupAll: err %v, firewall ran %t, output %q", err, firewallRan, out.String())
	}
	firewallRan = false
	fail := &fakeMode{name: "bad", failing: map[v1.IPFamily]error{v1.IPv4Protocol: errors.New("proxy boom")}}
	err := cleanupAll(&out, []proxymode.Mode{fail}, func() error { firewallRan = true; return errors.New("firewall boom") })
	if err == nil || !firewallRan || !strings.Contains(err.Error(), "proxy boom") || !strings.Contains(err.Error(), "firewall boom") {
		t.Fatalf("both failing: err %v, firewall ran %t", err, firewallRan)
	}
}

func TestDumpFamilies(t *testing.T) {
	if f, err := dumpFamilies(""); err != nil || len(f) != 2 {
		t.Errorf(`dumpFamilies("") = %v, %v`, f, err)
	}
	if f, err := dumpFamilies("IPv6"); err != nil || len(f) != 1 || f[0] != v1.IPv6Protocol {
		t.Errorf(`dumpFamilies("IPv6") = %v, %v`, f, err)
	}
	if _, err := dumpFamilies("ipv5"); err == nil {
		t.Error("an unknown family must be refused")
	}
}
