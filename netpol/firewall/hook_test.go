package firewall

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/iptables/iptablestest"
	nodenetproxy "github.com/nodenet/nodenet/proxy"
)

// TestFullSyncPutsHookFirst: a rule above the hook that ACCEPTs (the
// proxy's NODENET-FORWARD inserts itself first too) would bypass policy,
// so a full sync moves the hook back to the top, once, and Intact notices
// when it is not there.
func TestFullSyncPutsHookFirst(t *testing.T) {
	f := newFakes()
	fw := f.firewall(t, Options{})
	m := compute(t, testInput())
	mustSync(t, fw, m, false)
	if ok, err := fw.Intact(); !ok || err != nil {
		t.Fatalf("Intact after sync = %t, %v", ok, err)
	}
	mustRestore(t, f, "*filter", ":PROXY-FWD - [0:0]", "-I FORWARD 1 -j PROXY-FWD", "-A FORWARD -m comment --comment \"nodenet network policy\" -j NODENET-FW", "COMMIT")
	if ok, err := fw.Intact(); ok || err != nil {
		t.Fatalf("Intact with the hook second and twice = %t, %v; want false", ok, err)
	}
	mustSync(t, fw, m, true)
	rules, err := f.v4.ListRules("filter", "FORWARD")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-P FORWARD ACCEPT", hookLine, "-A FORWARD -j PROXY-FWD"}
	if strings.Join(rules, "\n") != strings.Join(want, "\n") {
		t.Fatalf("FORWARD after full sync:\n%s\nwant:\n%s", strings.Join(rules, "\n"), strings.Join(want, "\n"))
	}
	if ok, err := fw.Intact(); !ok || err != nil {
		t.Fatalf("Intact after full sync = %t, %v", ok, err)
	}
}

// TestCleanupRestoresTheKernel: cleanup leaves exactly what was there
// before the firewall, is idempotent, and the proxy's cleanup does not
// take the firewall's chains for its own (nor the reverse).
func TestCleanupRestoresTheKernel(t *testing.T) {
	f := newFakes()
	mustRestore(t, f, "*filter", ":OTHER - [0:0]", "-A FORWARD -j OTHER", "COMMIT")
	if err := f.sets.CreateSet("other-set", SetOfAddrs, false); err != nil {
		t.Fatal(err)
	}
	before := f.dump()
	mustSync(t, f.firewall(t, Options{LogDrops: true}), compute(t, testInput()), false)
	for _, k := range []*iptablestest.FakeKernel{f.v4, f.v6} {
		if err := iptables.CleanupKernel(k); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(f.dump(), hookLine) {
		t.Fatal("the proxy's cleanup removed the firewall's hook")
	}
	for i := 0; i < 2; i++ {
		if err := CleanupKernels(f.kernels()); err != nil {
			t.Fatalf("cleanup #%d: %v", i+1, err)
		}
		if after := f.dump(); after != before {
			t.Fatalf("cleanup #%d left:\n%s\nwant:\n%s", i+1, after, before)
		}
	}
}

// TestBridgeSysctls: a full sync turns br_netfilter's sysctls on.
func TestBridgeSysctls(t *testing.T) {
	f := newFakes()
	mustSync(t, f.firewall(t, Options{}), compute(t, testInput()), false)
	for _, key := range bridgeSysctls {
		if f.sysctl.values[key] != "1" {
			t.Errorf("%s = %q, want 1", key, f.sysctl.values[key])
		}
	}
}

// TestIntactReenablesBridgeSysctls: br_netfilter loaded, or its sysctls
// reset, after the last full sync is caught by the periodic check.
func TestIntactReenablesBridgeSysctls(t *testing.T) {
	f := newFakes()
	fw := f.firewall(t, Options{})
	mustSync(t, fw, compute(t, testInput()), false)
	for _, key := range bridgeSysctls {
		f.sysctl.values[key] = "0"
	}
	if _, err := fw.Intact(); err != nil {
		t.Fatal(err)
	}
	for _, key := range bridgeSysctls {
		if f.sysctl.values[key] != "1" {
			t.Errorf("%s = %q after Intact, want 1", key, f.sysctl.values[key])
		}
	}
}

// TestProxyHooksGoBelowTheFirewall: whichever of the proxy and the
// firewall syncs first, the firewall's hook ends first in FORWARD, above
// the proxy's NODENET-FORWARD (which ACCEPTs masqueraded Service traffic).
func TestProxyHooksGoBelowTheFirewall(t *testing.T) {
	for _, firewallFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("firewallFirst=%t", firewallFirst), func(t *testing.T) {
			f := newFakes()
			fw := f.firewall(t, Options{})
			m := compute(t, testInput())
			proxy, err := iptables.NewWithKernel(iptables.Options{Family: v1.IPv4Protocol, MasqueradeBit: 14}, f.v4)
			if err != nil {
				t.Fatal(err)
			}
			syncs := []func() error{
				func() error { return fw.Sync(m, true) },
				func() error { return proxy.Sync(nodenetproxy.NewTable(), nil, true) },
			}
			if !firewallFirst {
				slices.Reverse(syncs)
			}
			for _, sync := range syncs {
				if err := sync(); err != nil {
					t.Fatal(err)
				}
			}
			rules, err := f.v4.ListRules("filter", "FORWARD")
			if err != nil {
				t.Fatal(err)
			}
			if len(rules) < 4 || rules[1] != hookLine {
				t.Fatalf("FORWARD:\n%s\nwant the firewall's hook first", strings.Join(rules, "\n"))
			}
		})
	}
}

// TestProxyHooksGoBelowAFirewallHookThatIsNotFirst: someone inserted a
// rule above the firewall's hook, and the proxy's hooks are missing. The
// proxy must still put them below the firewall's hook: above it, its
// NODENET-FORWARD would ACCEPT Service traffic past policy until the
// firewall's next full sync.
func TestProxyHooksGoBelowAFirewallHookThatIsNotFirst(t *testing.T) {
	f := newFakes()
	mustSync(t, f.firewall(t, Options{}), compute(t, testInput()), true)
	mustRestore(t, f, "*filter", ":OTHER - [0:0]", "-I FORWARD 1 -j OTHER", "COMMIT")
	proxy, err := iptables.NewWithKernel(iptables.Options{Family: v1.IPv4Protocol, MasqueradeBit: 14}, f.v4)
	if err != nil {
		t.Fatal(err)
	}
	if err := proxy.Sync(nodenetproxy.NewTable(), nil, true); err != nil {
		t.Fatal(err)
	}
	rules, err := f.v4.ListRules("filter", "FORWARD")
	if err != nil {
		t.Fatal(err)
	}
	hook := slices.Index(rules, hookLine)
	for i, r := range rules {
		if strings.Contains(r, "nodenet forward") && i < hook {
			t.Fatalf("FORWARD:\n%s\nwant the proxy's hooks below the firewall's", strings.Join(rules, "\n"))
		}
	}
}
