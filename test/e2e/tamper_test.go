//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// repairDeadline is issue 11's requirement: someone else's change to
// nodenet's rules, hooks, chains or sets is undone within 2 s. A
// functional deadline, polled for, not a performance measurement; the
// measured times are logged (and recorded in BENCHMARKS.md).
const repairDeadline = 2 * time.Second

// repairPoll is how often a repair test looks: each look is one exec.
const repairPoll = 20 * time.Millisecond

// tamperCase is one change someone else makes in the node namespace.
type tamperCase struct {
	name   string
	tamper []string // argv run in the node namespace
}

// timeRepair runs c's command and polls until state is back to what it
// was, failing after repairDeadline; the agent must have logged one more
// repair (logged says what its line contains), so a command that changed
// nothing fails. It returns the time to repair.
func (s *scenario) timeRepair(t *testing.T, c tamperCase, logged string, state func() string) time.Duration {
	t.Helper()
	want := state()
	repairs := strings.Count(s.agent.Output(), logged)
	start := time.Now()
	netns.Run(t, s.topo.Node.Name, c.tamper...)
	err := netns.PollUntil(repairDeadline, repairPoll, func() error {
		if got := state(); got != want {
			return fmt.Errorf("not repaired:\n%s\nwant:\n%s", got, want)
		}
		return nil
	})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	netns.Eventually(t, 5*time.Second, "the repair is logged", func() error {
		if strings.Count(s.agent.Output(), logged) <= repairs {
			return fmt.Errorf("no new %q line", logged)
		}
		return nil
	})
	t.Logf("%s: repaired in %s", c.name, took.Round(time.Millisecond))
	return took
}

// proxyState is nodenet's Service rules as iptables-save prints them
// (counters stripped), and the first rule of each nat hook chain: a rule
// inserted above the hook changes it.
func (s *scenario) proxyState(save string) func() string {
	return func() string {
		var keep []string
		first := map[string]bool{}
		for _, table := range []string{"nat", "filter"} {
			out := netns.Run(s.t, s.topo.Node.Name, save, "-t", table)
			for _, l := range strings.Split(out, "\n") {
				l = stripCounters(l)
				f := strings.Fields(l)
				if table == "nat" && len(f) > 1 && f[0] == "-A" && (f[1] == "PREROUTING" || f[1] == "OUTPUT") && !first[f[1]] {
					first[f[1]] = true
					keep = append(keep, "first of "+f[1]+": "+l)
				}
				if strings.Contains(l, "NODENET-") && !strings.Contains(l, "NODENET-FW") {
					keep = append(keep, table+": "+l)
				}
			}
		}
		return strings.Join(keep, "\n")
	}
}

// proxyRepairLog starts the agent's line for a repair of Service rules.
const proxyRepairLog = "Someone else changed nodenet's Service rules"

// TestServiceTamperingRepaired: someone flushing a Service shard chain or
// the dispatch, deleting a hook, or inserting an ACCEPT above the DNAT
// hook, in either family, is undone within 2 s (nf_tables change
// notifications; only the touched chains are rewritten), and the
// ClusterIP answers again.
func TestServiceTamperingRepaired(t *testing.T) {
	if nftMode() {
		// The cases tamper with the iptables backend's chains. The
		// nftables backend has no tamper watch yet: its Intact check
		// (TestFlushedHooksAreRepaired) repairs within a sync period.
		t.Skip("nftables mode: no tamper watch for the nftables backend yet")
	}
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	client := s.pod("pod-c")
	if nftMode() {
		s.nftTamperingRepaired(t, client)
		return
	}
	for _, c := range []tamperCase{
		{"flush shard chain", []string{"iptables", "-w", "-t", "nat", "-F", "NODENET-SVC-0A"}},
		{"delete one DNAT rule", []string{"iptables", "-w", "-t", "nat", "-D", "NODENET-SVC-0A", "1"}},
		{"flush dispatch chain", []string{"iptables", "-w", "-t", "nat", "-F", "NODENET-SERVICES"}},
		{"delete PREROUTING hook", []string{"iptables", "-w", "-t", "nat", "-D", "PREROUTING", "-m", "comment", "--comment", "nodenet service portals", "-j", "NODENET-SERVICES"}},
		{"ACCEPT above PREROUTING hook", []string{"iptables", "-w", "-t", "nat", "-I", "PREROUTING", "1", "-j", "ACCEPT"}},
		{"flush filter reject shard dispatch", []string{"iptables", "-w", "-t", "filter", "-F", "NODENET-SERVICES"}},
		{"flush nat PREROUTING", []string{"iptables", "-w", "-t", "nat", "-F", "PREROUTING"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.timeRepair(t, c, proxyRepairLog, s.proxyState("iptables-save"))
			s.mustAnswer(client, "tcp", webIP+":80", 1)
		})
	}
	if v, err := s.metricValue(`nodenet_tamper_repairs_total{surface="proxy-ipv4",what="chain"}`); err != nil || v == "0" {
		t.Errorf("nodenet_tamper_repairs_total{surface=proxy-ipv4,what=chain} = %q, %v", v, err)
	}
}

// firewallRepairLog is in the agent's line for a repair of the firewall.
const firewallRepairLog = "NetworkPolicy rules changed by someone else"

// firewallAndSets is firewallState plus the firewall's ipset members.
func (s *scenario) firewallAndSets(iptables string) func() string {
	return func() string {
		var sets []string
		for _, l := range strings.Split(netns.Run(s.t, s.topo.Node.Name, "ipset", "save"), "\n") {
			if strings.HasPrefix(l, "add NNP-") {
				sets = append(sets, l)
			}
		}
		sort.Strings(sets)
		return s.firewallState(iptables) + "\n" + strings.Join(sets, "\n")
	}
}

// attack connects from pod-a to pod-b (isolated, no policy allows pod-a)
// until stop is closed, and reports each connection that got through.
func (s *scenario) attack(stop <-chan struct{}) <-chan []string {
	out := make(chan []string, 1)
	go func() {
		var through []string
		attempts := 0
		for {
			select {
			case <-stop:
				if attempts == 0 {
					through = append(through, "no attack was made")
				}
				out <- through
				return
			default:
			}
			ans, err := netns.Dial(s.pod("pod-a"), "tcp", pairTarget(s), 10, 200*time.Millisecond)
			if err != nil {
				through = append(through, err.Error())
				continue
			}
			for _, a := range ans {
				attempts++
				if a.Err == "" {
					through = append(through, time.Now().Format("15:04:05.000")+" "+a.Line)
				}
			}
		}
	}()
	return out
}

// podChainOf is the ingress chain NODENET-FW-INGRESS dispatches ip to.
func (s *scenario) podChainOf(t *testing.T, ip string) string {
	for _, l := range strings.Split(netns.Run(t, s.topo.Node.Name, "iptables", "-S", "NODENET-FW-INGRESS"), "\n") {
		if f := strings.Fields(l); len(f) == 6 && f[3] == ip+"/32" {
			return f[5]
		}
	}
	t.Fatalf("no dispatch to %s in NODENET-FW-INGRESS", ip)
	return ""
}

// TestNetworkPolicyTamperingFailsClosed: while pod-a attacks pod-b
// (isolated for ingress, no policy allows pod-a) with real connections,
// someone flushes the ingress dispatch, pod-b's chain, or empties the
// firewall's sets: not one connection gets through (the guard), and
// each is repaired within 2 s. Deleting the FORWARD hook or inserting an
// ACCEPT above it (nothing of nodenet's runs then) is repaired within
// 2 s too.
func TestNetworkPolicyTamperingFailsClosed(t *testing.T) {
	s := newPairScenario(t, nil)
	s.write("np-x-deny.yaml", policyYAML("x", "deny", "podSelector: {}\npolicyTypes: [Ingress]\n"))
	netns.Eventually(t, 10*time.Second, "default-deny enforced", s.pairRefused)
	podB := s.podChainOf(t, s.topo.Pod(t, "pod-b").IP)
	for _, c := range []struct {
		tamperCase
		failsClosed bool
	}{
		{tamperCase{"flush ingress dispatch", []string{"iptables", "-w", "-F", "NODENET-FW-INGRESS"}}, true},
		{tamperCase{"flush the pod's chain", []string{"iptables", "-w", "-F", podB}}, true},
		{tamperCase{"flush the guard set", []string{"ipset", "flush", "NNP-FW-ISO-I"}}, true},
		{tamperCase{"flush the known-pods set", []string{"ipset", "flush", "NNP-FW-KNOWN"}}, true},
		{tamperCase{"flush ingress dispatch IPv6", []string{"ip6tables", "-w", "-F", "NODENET-FW-INGRESS"}}, true},
		{tamperCase{"delete FORWARD hook", []string{"iptables", "-w", "-D", "FORWARD", "-m", "comment", "--comment", "nodenet network policy", "-j", "NODENET-FW"}}, false},
		{tamperCase{"ACCEPT above FORWARD hook", []string{"iptables", "-w", "-I", "FORWARD", "1", "-j", "ACCEPT"}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			stop := make(chan struct{})
			var through <-chan []string
			if c.failsClosed {
				through = s.attack(stop)
			}
			fam := "iptables"
			if strings.HasPrefix(c.tamper[0], "ip6") {
				fam = "ip6tables"
			}
			s.timeRepair(t, c.tamperCase, firewallRepairLog, s.firewallAndSets(fam))
			close(stop)
			if c.failsClosed {
				if got := <-through; len(got) > 0 {
					t.Errorf("attacking connections got through before the repair: %v", got)
				}
			}
			netns.Eventually(t, 5*time.Second, "default-deny enforced again", s.pairRefused)
		})
	}
	if v, err := s.metricValue(`nodenet_tamper_repairs_total{surface="firewall",what="set"}`); err != nil || v == "0" {
		t.Errorf("nodenet_tamper_repairs_total{surface=firewall,what=set} = %q, %v", v, err)
	}
}

// nftTamperingRepaired is TestServiceTamperingRepaired in nftables mode:
// a flushed base chain or dispatch chain of nodenet's table is repaired
// within 2 s (a flushed Service chain is not seen: nftables/tamper.go).
func (s *scenario) nftTamperingRepaired(t *testing.T, client string) {
	chains := []string{"nat-prerouting", "services"}
	state := func() string {
		var out []string
		for _, c := range chains {
			out = append(out, netns.Run(s.t, s.topo.Node.Name, "nft", "list", "chain", "ip", "nodenet", c))
		}
		return strings.Join(out, "\n")
	}
	for _, c := range chains {
		t.Run("flush "+c, func(t *testing.T) {
			s.timeRepair(t, tamperCase{"flush " + c, []string{"nft", "flush", "chain", "ip", "nodenet", c}}, proxyRepairLog, state)
			s.mustAnswer(client, "tcp", webIP+":80", 1)
		})
	}
}

// legacyPath is a PATH whose iptables binaries are iptables-legacy's.
func legacyPath(t *testing.T) string {
	dir := t.TempDir()
	for _, fam := range []string{"iptables", "ip6tables"} {
		for _, suffix := range []string{"", "-save", "-restore"} {
			target, err := exec.LookPath(fam + "-legacy" + suffix)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, filepath.Join(dir, fam+suffix)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir + ":" + os.Getenv("PATH")
}

// TestServiceTamperingRepairedOnLegacy: iptables-legacy announces
// nothing; the agent compares the nat table's entry count and size
// (IPT_SO_GET_INFO) every second and repairs a flushed shard chain or a
// deleted hook within 2 s.
func TestServiceTamperingRepairedOnLegacy(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	s.agentEnv = []string{"PATH=" + legacyPath(t)}
	s.addService(web, s.ep("pod-a"), s.ep("pod-b"))
	// The iptables backend's, also when the suite runs in nftables mode.
	s.startAgent("--cluster-cidr", "10.244.0.0/16", "--proxy-mode", "iptables")
	client := s.pod("pod-c")
	s.waitServing(client, "tcp", webIP+":80")
	for _, c := range []tamperCase{
		{"flush shard chain", []string{"iptables-legacy", "-w", "-t", "nat", "-F", "NODENET-SVC-0A"}},
		{"delete PREROUTING hook", []string{"iptables-legacy", "-w", "-t", "nat", "-D", "PREROUTING", "-m", "comment", "--comment", "nodenet service portals", "-j", "NODENET-SERVICES"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.timeRepair(t, c, proxyRepairLog, s.proxyState("iptables-legacy-save"))
			s.mustAnswer(client, "tcp", webIP+":80", 1)
		})
	}
	if !strings.Contains(s.agent.Output(), "iptables-legacy: no change notifications") {
		t.Error("the agent did not take its iptables for legacy")
	}
}
