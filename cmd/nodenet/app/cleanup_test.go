package app

import (
	"errors"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// TestCleanupEveryUsableFamily: both families are cleaned, an unusable
// one is skipped, and one family's failure does not stop the other.
func TestCleanupEveryUsableFamily(t *testing.T) {
	var cleaned []v1.IPFamily
	var out strings.Builder
	noV6 := func(f v1.IPFamily) error {
		if f == v1.IPv6Protocol {
			return errors.New("no ip6tables")
		}
		return nil
	}
	record := func(f v1.IPFamily) error { cleaned = append(cleaned, f); return nil }
	if err := cleanupFamilies(&out, noV6, record); err != nil || len(cleaned) != 1 || !strings.Contains(out.String(), "Skipped IPv6") {
		t.Fatalf("no IPv6: cleaned %v, err %v, output %q", cleaned, err, out.String())
	}
	cleaned = nil
	failV4 := func(f v1.IPFamily) error {
		cleaned = append(cleaned, f)
		if f == v1.IPv4Protocol {
			return errors.New("boom")
		}
		return nil
	}
	err := cleanupFamilies(&out, func(v1.IPFamily) error { return nil }, failV4)
	if err == nil || len(cleaned) != 2 {
		t.Fatalf("IPv4 failing: cleaned %v, err %v; want both tried and the error", cleaned, err)
	}
}

// TestCleanupAlsoFirewall: the firewall is cleaned even when the proxy's
// cleanup fails, and both errors come back.
func TestCleanupAlsoFirewall(t *testing.T) {
	var out strings.Builder
	ok := func(v1.IPFamily) error { return nil }
	firewallRan := false
	fw := func() error { firewallRan = true; return nil }
	if err := cleanupAll(&out, ok, ok, fw); err != nil || !firewallRan || !strings.Contains(out.String(), "firewall") {
		t.Fatalf("cleanupAll: err %v, firewall ran %t, output %q", err, firewallRan, out.String())
	}
	firewallRan = false
	fail := func(v1.IPFamily) error { return errors.New("proxy boom") }
	err := cleanupAll(&out, ok, fail, func() error { firewallRan = true; return errors.New("firewall boom") })
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
