//go:build e2e

package e2e

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// firewallState is what the firewall owns in iptables-save of family
// iptables: its chains' rules, sorted, and whether its hook is FORWARD's
// first rule.
func (s *scenario) firewallState(iptables string) string {
	s.t.Helper()
	out := netns.Run(s.t, s.topo.Node.Name, iptables+"-save", "-t", "filter")
	var own []string
	hookFirst := false
	seenForward := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "-A NODENET-FW"):
			own = append(own, l)
		case strings.HasPrefix(l, "-A FORWARD ") && !seenForward:
			seenForward = true
			hookFirst = strings.HasSuffix(l, "-j NODENET-FW")
		}
	}
	sort.Strings(own)
	if !hookFirst {
		own = append(own, "(hook not first)")
	}
	return strings.Join(own, "\n")
}

// TestNetworkPolicyTamperingRepaired: someone flushing a firewall chain,
// deleting its FORWARD hook, or inserting an ACCEPT above it, in either
// family, is undone by the agent (nf_tables change notifications, then a
// full sync; default --iptables-min-sync-period 1s), and the policy
// holds again. The time to repair each is logged.
func TestNetworkPolicyTamperingRepaired(t *testing.T) {
	s := newPairScenario(t, nil)
	s.write("np-x-deny.yaml", policyYAML("x", "deny", "podSelector: {}\npolicyTypes: [Ingress]\n"))
	netns.Eventually(t, 10*time.Second, "default-deny enforced", s.pairRefused)

	for _, c := range []struct {
		name     string
		iptables string
		tamper   []string
	}{
		{"flush ingress dispatch", "iptables", []string{"-F", "NODENET-FW-INGRESS"}},
		{"delete hook", "iptables", []string{"-D", "FORWARD", "-m", "comment", "--comment", "nodenet network policy", "-j", "NODENET-FW"}},
		{"accept above hook", "iptables", []string{"-I", "FORWARD", "1", "-j", "ACCEPT"}},
		{"flush ingress dispatch IPv6", "ip6tables", []string{"-F", "NODENET-FW-INGRESS"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := s.firewallState(c.iptables)
			netns.Run(t, s.topo.Node.Name, append([]string{c.iptables, "-w"}, c.tamper...)...)
			start := time.Now()
			if s.firewallState(c.iptables) == want {
				t.Fatal("the tampering changed nothing")
			}
			netns.Eventually(t, 10*time.Second, "repaired", func() error {
				if s.firewallState(c.iptables) != want {
					return errors.New("not yet")
				}
				return nil
			})
			t.Logf("%s: repaired in %s", c.name, time.Since(start).Round(10*time.Millisecond))
			netns.Eventually(t, 5*time.Second, "default-deny enforced again", s.pairRefused)
		})
	}
	if !strings.Contains(s.agent.Output(), "changed by someone else") {
		t.Error("no log line names the change")
	}
}
