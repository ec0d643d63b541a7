//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
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
		return s.firewallState(iptables) + "\n" + strings.Join(sets, "\n") + "\n" + s.guardTable()
	}
}

// guardCounters are the guard table's counters, which every rejected
// attack moves.
var guardCounters = regexp.MustCompile(`counter packets \d+ bytes \d+`)

// guardTable is the firewall's guard table (netpol/firewall/guardtable.go)
// as nft lists it, counters blanked; "(none)" when it does not exist.
func (s *scenario) guardTable() string {
	out, err := netns.Exec(s.topo.Node.Name, "nft", "list", "table", "inet", "nodenet-fw-guard")
	if err != nil {
		return "(none)"
	}
	return guardCounters.ReplaceAllString(out, "counter")
}

// attackConns is how many connections one attack makes.
const attackConns = 20

// attackWhileFrozen stops the agent (SIGSTOP: it can neither see nor
// repair anything), runs c's tampering, attacks target on pod-b from
// pod-a with attackConns real connections, and lets the agent go on. The
// agent's repair is then awaited (repairDeadline from the thaw). So what
// passes is what the tampered rules let through, however fast the repair
// would have been. It returns the connections that got through.
func (s *scenario) attackWhileFrozen(t *testing.T, c tamperCase, target string, state func() string) []string {
	t.Helper()
	want := state()
	pid := s.agent.PID()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	defer thaw()
	netns.Run(t, s.topo.Node.Name, c.tamper...)
	if state() == want {
		t.Fatalf("%s changed nothing", c.name)
	}
	ans, err := netns.Dial(s.pod("pod-a"), "tcp", target, attackConns, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var through []string
	for _, a := range ans {
		if a.Err == "" {
			through = append(through, a.Line)
		}
	}
	thaw()
	if err := netns.PollUntil(repairDeadline, repairPoll, func() error {
		if state() != want {
			return fmt.Errorf("not repaired")
		}
		return nil
	}); err != nil {
		t.Fatalf("%s: not repaired within %s of the agent going on: %v", c.name, repairDeadline, err)
	}
	return through
}

// podChainOf is the ingress chain NODENET-FW-INGRESS dispatches ip to.
func (s *scenario) podChainOf(t *testing.T, iptables, ip string) string {
	for _, l := range strings.Split(netns.Run(t, s.topo.Node.Name, iptables, "-S", "NODENET-FW-INGRESS"), "\n") {
		if f := strings.Fields(l); len(f) == 6 && f[3] == ip+"/32" {
			return f[5]
		}
	}
	t.Fatalf("no dispatch to %s in NODENET-FW-INGRESS", ip)
	return ""
}

// TestNetworkPolicyTamperingFailsClosed: while pod-a attacks pod-b
// (isolated for ingress, no policy allows pod-a) with real connections,
// someone flushes the ingress dispatch, pod-b's chain or NODENET-FW,
// empties the firewall's sets, deletes the FORWARD hook or inserts an
// ACCEPT above it: not one connection gets through (the pod chains'
// allow mark, and the guard table for what bypasses NODENET-FW), and
// each is repaired within 2 s.
func TestNetworkPolicyTamperingFailsClosed(t *testing.T) {
	s := newPairScenario(t, nil)
	s.tamperingFailsClosed(t, "iptables", "ipset")
}

// TestNetworkPolicyTamperingFailsClosedOnLegacy is
// TestNetworkPolicyTamperingFailsClosed with the firewall on
// iptables-legacy, which announces nothing: the agent compares the filter
// table's entry count and size (IPT_SO_GET_INFO) with what it left, so a
// change is still repaired within 2 s, and the guard table (nf_tables,
// beside the legacy filter table) still fails closed meanwhile.
func TestNetworkPolicyTamperingFailsClosedOnLegacy(t *testing.T) {
	s := newPairScenario(t, []string{"PATH=" + legacyPath(t)}, "--proxy-mode", "iptables")
	s.tamperingFailsClosed(t, "iptables-legacy", "ipset")
	if !strings.Contains(s.agent.Output(), "checking the filter table") {
		t.Error("the firewall did not take its iptables for legacy")
	}
}

func (s *scenario) tamperingFailsClosed(t *testing.T, iptables, ipset string) {
	s.write("np-x-deny.yaml", policyYAML("x", "deny", "podSelector: {}\npolicyTypes: [Ingress]\n"))
	netns.Eventually(t, 10*time.Second, "default-deny enforced", s.pairRefused)
	ip6tables := strings.Replace(iptables, "iptables", "ip6tables", 1)
	podB := s.topo.Pod(t, "pod-b")
	podChain := s.podChainOf(t, iptables, podB.IP)
	target4, target6 := pairTarget(s), "["+podB.IP6+"]:8080"
	for _, c := range []struct {
		tamperCase
		target string
	}{
		{tamperCase{"flush ingress dispatch", []string{iptables, "-w", "-F", "NODENET-FW-INGRESS"}}, target4},
		{tamperCase{"flush the pod's chain", []string{iptables, "-w", "-F", podChain}}, target4},
		{tamperCase{"flush the guard set", []string{ipset, "flush", "NNP-FW-ISO-I"}}, target4},
		{tamperCase{"flush the known-pods set", []string{ipset, "flush", "NNP-FW-KNOWN"}}, target4},
		{tamperCase{"flush ingress dispatch IPv6", []string{ip6tables, "-w", "-F", "NODENET-FW-INGRESS"}}, target6},
		{tamperCase{"flush NODENET-FW", []string{iptables, "-w", "-F", "NODENET-FW"}}, target4},
		{tamperCase{"flush NODENET-FW IPv6", []string{ip6tables, "-w", "-F", "NODENET-FW"}}, target6},
		{tamperCase{"delete FORWARD hook", []string{iptables, "-w", "-D", "FORWARD", "-m", "comment", "--comment", "nodenet network policy", "-j", "NODENET-FW"}}, target4},
		{tamperCase{"ACCEPT above FORWARD hook", []string{iptables, "-w", "-I", "FORWARD", "1", "-j", "ACCEPT"}}, target4},
		{tamperCase{"ACCEPT above FORWARD hook IPv6", []string{ip6tables, "-w", "-I", "FORWARD", "1", "-j", "ACCEPT"}}, target6},
		{tamperCase{"delete the guard table", []string{"nft", "delete", "table", "inet", "nodenet-fw-guard"}}, target4},
		{tamperCase{"ACCEPT in NODENET-FW", []string{iptables, "-w", "-I", "NODENET-FW", "1", "-j", "ACCEPT"}}, target4},
	} {
		t.Run(c.name, func(t *testing.T) {
			fam := iptables
			if strings.HasPrefix(c.tamper[0], "ip6") {
				fam = ip6tables
			}
			state := s.firewallAndSets(fam)
			through := s.attackWhileFrozen(t, c.tamperCase, c.target, state)
			t.Logf("%s: %d attacking connections while tampered, %d got through", c.name, attackConns, len(through))
			if len(through) > 0 {
				t.Errorf("attacking connections got through the tampered firewall: %v", through)
			}
			s.timeRepair(t, c.tamperCase, firewallRepairLog, state)
			netns.Eventually(t, 5*time.Second, "default-deny enforced again", s.pairRefused)
		})
	}
	if v, err := s.metricValue(`nodenet_tamper_repairs_total{surface="firewall",what="set"}`); err != nil || v == "0" {
		t.Errorf("nodenet_tamper_repairs_total{surface=firewall,what=set} = %q, %v", v, err)
	}
	s.guardFollowsPolicies(t)
}

// guardFollowsPolicies: with the last policy gone the guard table goes
// too (nothing is isolated, nothing may be rejected) and pod-a reaches
// pod-b again; `nodenet cleanup` removes a guard table left behind.
func (s *scenario) guardFollowsPolicies(t *testing.T) {
	if s.guardTable() == "(none)" {
		t.Fatal("no guard table while a policy exists")
	}
	s.remove("np-x-deny.yaml")
	netns.Eventually(t, 10*time.Second, "the guard table goes with the last policy", func() error {
		if s.guardTable() != "(none)" {
			return fmt.Errorf("guard table still there")
		}
		return nil
	})
	s.mustAnswer(s.pod("pod-a"), "tcp", pairTarget(s), 1)
	s.write("np-x-deny.yaml", policyYAML("x", "deny", "podSelector: {}\npolicyTypes: [Ingress]\n"))
	netns.Eventually(t, 10*time.Second, "default-deny enforced again", s.pairRefused)
	s.agent.Stop()
	if out, err := s.nodenet("cleanup"); err != nil {
		t.Fatalf("nodenet cleanup: %v\n%s", err, out)
	}
	if left := s.guardTable(); left != "(none)" {
		t.Errorf("guard table left after cleanup:\n%s", left)
	}
}

// nftTamperingRepaired is TestServiceTamperingRepaired in nftables mode:
// a flushed base chain, dispatch chain or Service chain, a deleted or
// added element of the ClusterIP map, and a Service's NodePort chain
// deleted with its map element are repaired within 2 s, each by rewriting only the
// objects the change notifications named (nftables/repair.go).
func (s *scenario) nftTamperingRepaired(t *testing.T, client string) {
	svc := s.nftServiceChain(t, "svc-", "default/web/tcp/tcp")
	ext := s.nftServiceChain(t, "ext-", "default/web/tcp/tcp")
	key := webIP + " . tcp . 80"
	objects := [][]string{{"chain", "nat-prerouting"}, {"chain", "services"}, {"chain", svc}, {"map", "service-ips"},
		{"chain", ext}, {"map", "service-nodeports"}}
	state := func() string {
		var out []string
		for _, o := range objects {
			got, err := netns.Exec(s.topo.Node.Name, "nft", "list", o[0], "ip", "nodenet", o[1])
			if err != nil {
				got = o[0] + " " + o[1] + " missing"
			}
			out = append(out, got)
		}
		return strings.Join(out, "\n")
	}
	nft := func(cmd string) []string { return []string{"nft", cmd} }
	for _, c := range []tamperCase{
		{"flush nat-prerouting", nft("flush chain ip nodenet nat-prerouting")},
		{"flush services", nft("flush chain ip nodenet services")},
		{"flush a Service chain", nft("flush chain ip nodenet " + svc)},
		{"delete a ClusterIP map element", nft("delete element ip nodenet service-ips { " + key + " }")},
		{"add a ClusterIP map element", nft("add element ip nodenet service-ips { 10.96.0.99 . tcp . 80 : goto " + svc + " }")},
		// A chain a map element jumps to cannot be deleted: the element first.
		{"delete a Service chain", nft(fmt.Sprintf("delete element ip nodenet service-nodeports { tcp . %d }; flush chain ip nodenet %s; delete chain ip nodenet %s", webNodePrt, ext, ext))},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.timeRepair(t, c, proxyRepairLog, state)
			s.mustAnswer(client, "tcp", webIP+":80", 1)
		})
	}
}

// nftServiceChain is the name of the Service chain with prefix whose name
// ends in suffix (nftables/names.go: prefix, hash, namespace/name/proto/port).
func (s *scenario) nftServiceChain(t *testing.T, prefix, suffix string) string {
	out := netns.Run(t, s.topo.Node.Name, "nft", "list", "chains", "ip")
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "chain" && strings.HasPrefix(f[1], prefix) && strings.HasSuffix(f[1], suffix) {
			return f[1]
		}
	}
	t.Fatalf("no chain %s…%s in:\n%s", prefix, suffix, out)
	return ""
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
