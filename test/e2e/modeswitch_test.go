//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// TestSwitchingProxyModeLeavesNothingOfTheOther: a node moved from
// iptables to nftables mode (and back) keeps serving, and the mode it
// left has no rule left that could still catch Service traffic.
func TestSwitchingProxyModeLeavesNothingOfTheOther(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-c")
	s.addService(web, s.ep("pod-a"))
	for i, mode := range []string{"iptables", "nftables", "iptables"} {
		if i > 0 {
			s.agent.Stop()
		}
		s.startAgent("--cluster-cidr", "10.244.0.0/16", "--proxy-mode", mode)
		s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
		waitOutput(t, s.agent, fullSynced)
		save := s.save("iptables-save")
		tables := nodenetTables(t, s.topo.Node.Name)
		switch mode {
		case "nftables":
			if strings.Contains(save, "NODENET-SERVICES") || strings.Contains(save, "NODENET-SVC-") {
				t.Errorf("nftables mode left the iptables mode's chains:\n%s", save)
			}
			if !strings.Contains(tables, "table ip nodenet") {
				t.Errorf("nftables mode has no table: %q", tables)
			}
		default:
			if tables != "" {
				t.Errorf("iptables mode (run %d) left the nftables mode's tables:\n%s", i, tables)
			}
			if !strings.Contains(save, "NODENET-SERVICES") {
				t.Errorf("iptables mode (run %d) has no NODENET-SERVICES chain:\n%s", i, save)
			}
		}
	}
}
