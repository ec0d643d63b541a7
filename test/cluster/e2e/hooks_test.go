//go:build e2e

package clustere2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// hookSyncPeriod is --iptables-sync-period in the hook test without
// tamper detection: the periodic check must repair within it.
const hookSyncPeriod = 5 * time.Second

// TestDeletedHooksAreRepaired: someone deletes every hook of nodenet by
// hand (iptables: its jumps from the built-in chains; nftables: its base
// chains); the agent puts them back within the sync period and the
// ClusterIP answers again. With tamper detection (the default) the repair
// follows the change notification; without it, the periodic check does it
// within --iptables-sync-period. The time from the deletion to an answer
// is measured and logged.
func TestDeletedHooksAreRepaired(t *testing.T) {
	for _, mode := range survivalModes {
		for _, detect := range []bool{true, false} {
			name := fmt.Sprintf("%s/detect-tampering=%v", mode, detect)
			t.Run(name, func(t *testing.T) {
				flags := []string{"--iptables-sync-period", hookSyncPeriod.String()}
				if !detect {
					flags = append(flags, "--detect-tampering=false")
				}
				tn := newTrafficNode(t, mode, flags...)
				before := hooks(t, tn.nd.ns, mode)
				deleted := time.Now()
				// Each deletion fails the test unless the hook was there;
				// with tamper detection they may be back before a listing.
				deleteHooks(t, tn.nd.ns, mode, before)
				back := waitHooksBack(t, tn, mode, before)
				took := time.Since(deleted)
				var last time.Duration
				for _, h := range before {
					t.Logf("back %v after the deletion: %s", back[h].Sub(deleted).Round(time.Millisecond), h)
					last = max(last, back[h].Sub(deleted))
				}
				// The periodic check starts at most a sync period after
				// the last sync, which came before the deletion; the
				// check's listings and the repair's restore then take
				// up to ~1.7 s on this shared machine (load 12-18).
				if limit := hookSyncPeriod + 2*time.Second; last > limit {
					t.Errorf("repaired %v after the deletion, later than the sync period (%v) and 2 s", last.Round(time.Millisecond), hookSyncPeriod)
				}
				if after := hooks(t, tn.nd.ns, mode); strings.Join(after, "\n") != strings.Join(before, "\n") {
					// The proxy's two FORWARD hooks may come back in the
					// other order (noted, not failed: both stay below the
					// firewall's, which hooksBack checks).
					t.Logf("the hooks came back in another order:\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
				}
				t.Logf("%s: hooks deleted to all back and the ClusterIP answering: %v (sync period %v)", name, took.Round(time.Millisecond), hookSyncPeriod)
			})
		}
	}
}

// waitHooksBack polls until every hook of before is back and the
// ClusterIP answers, and returns when each hook was first seen back.
func waitHooksBack(t *testing.T, tn *trafficNode, mode string, before []string) map[string]time.Time {
	t.Helper()
	back := map[string]time.Time{}
	netns.Eventually(t, 3*hookSyncPeriod, "the hooks back and the ClusterIP answering", func() error {
		now := hooks(t, tn.nd.ns, mode)
		at := time.Now()
		for _, h := range now {
			if _, ok := back[h]; !ok {
				back[h] = at
			}
		}
		if d := netns.LineDiff(strings.Join(before, "\n"), strings.Join(now, "\n")); d != "" {
			return fmt.Errorf("hooks differ:\n%s", d)
		}
		if mode == "iptables" && !firewallFirst(now) {
			return fmt.Errorf("the firewall's hook is not first in FORWARD: %v", now)
		}
		ans, err := netns.Dial(tn.client.Name, "tcp", tn.vip, 1, 200*time.Millisecond)
		if err != nil {
			return err
		}
		if ans[0].Pod != "be-1" {
			return fmt.Errorf("answer %q", ans[0].Line)
		}
		return nil
	})
	return back
}

// firewallFirst tells whether the first FORWARD hook listed is the
// firewall's (NODENET-FW), as it must be for policy to apply.
func firewallFirst(hooks []string) bool {
	for _, h := range hooks {
		if strings.HasPrefix(h, "filter -A FORWARD ") {
			return strings.HasSuffix(h, " -j NODENET-FW")
		}
	}
	return false
}

// hooks lists the agent's hooks: the iptables rules in built-in chains
// that jump to its chains (the proxy's and the firewall's), or its
// nftables base chains' declarations. The CNI plugin's masquerade jump
// ("nodenet masq net=…", put in by the plugin at a pod's ADD, as the
// bridge plugin's ipMasq) is not the agent's.
func hooks(t *testing.T, ns *netns.NS, mode string) []string {
	t.Helper()
	var out []string
	if mode == "iptables" {
		table := ""
		for _, line := range strings.Split(ns.Run(t, "iptables-save"), "\n") {
			if strings.HasPrefix(line, "*") {
				table = line[1:]
			}
			if strings.HasPrefix(line, "-A ") && !strings.HasPrefix(line, "-A NODENET-") && strings.Contains(line, " -j NODENET-") &&
				!strings.Contains(line, `"nodenet masq net=`) {
				out = append(out, table+" "+line)
			}
		}
		return out
	}
	chain := ""
	for _, line := range strings.Split(ns.Run(t, "nft", "list", "table", "ip", "nodenet"), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "chain ") {
			chain = strings.TrimSuffix(strings.TrimPrefix(line, "chain "), " {")
		}
		if strings.HasPrefix(line, "type ") && strings.Contains(line, " hook ") {
			out = append(out, chain+": "+line)
		}
	}
	return out
}

// deleteHooks removes the hooks hooks listed.
func deleteHooks(t *testing.T, ns *netns.NS, mode string, listed []string) {
	t.Helper()
	if len(listed) == 0 {
		t.Fatal("nodenet has no hooks to delete")
	}
	for _, h := range listed {
		if mode == "iptables" {
			table, rule, _ := strings.Cut(h, " -A ")
			ns.Run(t, append([]string{"iptables", "-t", table, "-D"}, splitRule(rule)...)...)
			continue
		}
		chain, _, _ := strings.Cut(h, ": ")
		ns.Run(t, "nft", "delete", "chain", "ip", "nodenet", chain)
	}
}

// splitRule splits an iptables-save rule into arguments, keeping quoted
// comments whole.
func splitRule(rule string) []string {
	var args []string
	for len(rule) > 0 {
		rule = strings.TrimLeft(rule, " ")
		if strings.HasPrefix(rule, `"`) {
			end := strings.Index(rule[1:], `"`) + 1
			args = append(args, rule[1:end])
			rule = rule[end+1:]
			continue
		}
		arg, rest, _ := strings.Cut(rule, " ")
		if arg != "" {
			args = append(args, arg)
		}
		rule = rest
	}
	return args
}
