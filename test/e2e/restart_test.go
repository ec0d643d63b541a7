//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// manyServices is how many Services make the first full sync last long
// enough to kill the agent in the middle of it.
const manyServices = 3000

// fullSynced is what the agent logs (-v 2) after a full sync went in;
// firewallSynced after the firewall's, which starts after the proxy's
// first sync.
const (
	fullSynced     = `"Synced rules" kind="full"`
	firewallSynced = `"Enforced NetworkPolicies" full=true`
)

// waitAllSynced waits until both the proxy and the firewall have put
// their rules in after a start.
func waitAllSynced(t *testing.T, agent *netns.Proc) {
	t.Helper()
	waitOutput(t, agent, fullSynced)
	waitOutput(t, agent, firewallSynced)
}

var held = service{Name: "held", Type: "ClusterIP", ClusterIP: "10.96.0.70",
	Ports: []port{{Name: "lines", Protocol: "TCP", Port: 90, Target: 9090}}}

// TestRestartKeepsConnections: an established connection through a
// ClusterIP survives a clean restart and a kill -9 in the middle of a full
// sync, and the rules the agent ends with equal those of an undisturbed
// run.
func TestRestartKeepsConnections(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-c")
	netns.Start(t, s.pod("pod-a"), "line echo", netns.EchoBin, "serve", "-name", "pod-a", "-lines", ":9090").LogOnFailure(t)
	s.addService(web, s.ep("pod-a"))
	s.addService(held, s.ep("pod-a"))
	flags := []string{"--cluster-cidr", "10.244.0.0/16"}
	s.startAgent(flags...)
	s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
	conn := netns.Start(t, s.pod("pod-c"), "held connection", netns.EchoBin, "hold", "-addr", held.ClusterIP+":90")
	conn.LogOnFailure(t)
	exchanging(t, conn)

	s.agent.Stop()
	if _, err := s.agent.Exited(); err != nil {
		t.Errorf("agent did not exit cleanly on SIGTERM: %v", err)
	}
	s.startAgent(flags...)
	waitAllSynced(t, s.agent)
	exchanging(t, conn)

	s.write("many.yaml", manyManifests(s.ep("pod-a")))
	waitOutput(t, s.agent, "servicePorts="+strconv.Itoa(manyServices+3))
	s.agent.Stop()
	s.killDuringFullSync(flags...)
	s.startAgent(flags...)
	waitAllSynced(t, s.agent)
	exchanging(t, conn)
	after := nodenetRules(t, s.topo.Node)
	t.Logf("comparing %d lines of nodenet rules", strings.Count(after, "\n")+1)

	// The undisturbed run: same folder, rules built from nothing.
	s.agent.Stop()
	if out, err := s.nodenet("cleanup"); err != nil {
		t.Fatalf("nodenet cleanup: %v\n%s", err, out)
	}
	s.startAgent(flags...)
	waitAllSynced(t, s.agent)
	if want := nodenetRules(t, s.topo.Node); after != want {
		t.Errorf("rules after the restarts differ from an undisturbed run:\n%s", lineDiff(after, want))
	}
}

// killDuringFullSync starts the agent and SIGKILLs it, with its
// iptables-restore, while that restore runs: a crash in the middle of the
// first (full) sync.
func (s *scenario) killDuringFullSync(flags ...string) {
	s.t.Helper()
	agent := netns.Start(s.t, s.topo.Node.Name, "nodenet agent (killed)", s.agentArgs(flags...)...)
	agent.LogOnFailure(s.t)
	err := netns.PollUntil(30*time.Second, time.Millisecond, func() error {
		if exited, err := agent.Exited(); exited {
			return netns.Permanent(fmt.Errorf("agent exited before its first restore: %v", err))
		}
		if !applying(agent.PID()) {
			return fmt.Errorf("no iptables-restore or nft -f running")
		}
		return nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	// The whole process group, as a container runtime kills it.
	_ = syscall.Kill(-agent.PID(), syscall.SIGKILL)
	<-agent.Done()
	if strings.Contains(agent.Output(), fullSynced) {
		s.t.Fatal("the killed agent had already finished its full sync: the kill came too late")
	}
}

// hasChild tells whether process pid has a child whose command name
// starts with comm (the kernel truncates names to 15 bytes).
func hasChild(pid int, comm string) bool { return len(childrenNamed(pid, comm)) > 0 }

// applying tells whether the agent is writing its rules: iptables-restore
// runs, or (nftables mode) `nft -f -` does, knftables' transaction, as
// opposed to its --check and list runs.
func applying(pid int) bool {
	if !nftMode() {
		return hasChild(pid, "iptables-restor")
	}
	for _, child := range childrenNamed(pid, "nft") {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%s/cmdline", child))
		args := strings.Split(string(cmdline), "\x00")
		if slices.Contains(args, "-f") && !slices.Contains(args, "--check") {
			return true
		}
	}
	return false
}

// childrenNamed lists the PIDs of pid's children whose command name
// starts with comm.
func childrenNamed(pid int, comm string) []string {
	var out []string
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces, so split at ')'.
		open, end := strings.IndexByte(string(b), '('), strings.LastIndexByte(string(b), ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(string(b[end+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) && strings.HasPrefix(string(b[open+1:end]), comm) {
			out = append(out, strings.Fields(string(b[:open]))[0])
		}
	}
	return out
}

// exchanging waits until the held connection has answered three more
// lines, all on the same connection, and fails if it broke.
func exchanging(t *testing.T, conn *netns.Proc) {
	t.Helper()
	before := answeredLines(t, conn)
	netns.Eventually(t, 10*time.Second, "held connection exchanges data", func() error {
		if n := answeredLines(t, conn); n < before+3 {
			return fmt.Errorf("%d answers, want %d", n, before+3)
		}
		return nil
	})
}

// answeredLines counts the held connection's answers; it fails the test
// on an error line or on answers from two different connections.
func answeredLines(t *testing.T, conn *netns.Proc) int {
	t.Helper()
	n, peers := 0, map[string]bool{}
	for _, l := range strings.Split(conn.Output(), "\n") {
		if strings.HasPrefix(l, "ERR") {
			t.Fatalf("held connection broke: %s", l)
		}
		// "<pod> <client addr as the pod saw it> <sequence number>"
		if f := strings.Fields(l); len(f) == 3 {
			n++
			peers[f[0]+" "+f[1]] = true
		}
	}
	if len(peers) > 1 {
		t.Fatalf("answers came from more than one connection: %v", peers)
	}
	return n
}

func waitOutput(t *testing.T, p *netns.Proc, s string) {
	t.Helper()
	if err := p.WaitOutput(60*time.Second, s); err != nil {
		t.Fatal(err)
	}
}

// manyManifests is one file with manyServices ClusterIP Services, each
// with one endpoint.
func manyManifests(ep endpoint) string {
	var b strings.Builder
	for i := range manyServices {
		svc := service{Name: fmt.Sprintf("many-%d", i), Type: "ClusterIP",
			ClusterIP: fmt.Sprintf("10.100.%d.%d", i/250, i%250+1),
			Ports:     []port{{Name: "tcp", Protocol: "TCP", Port: 80, Target: 8080}}}
		fmt.Fprintf(&b, "---\n%s---\n%s", svc.YAML(), sliceYAML(svc, ep))
	}
	return b.String()
}

// nodenetRules is the node's iptables-save reduced to nodenet's chains
// and the jumps into them, counters zeroed, chains in name order with
// their rules in kernel order: what must not depend on history.
func nodenetRules(t *testing.T, node *netns.NS) string {
	t.Helper()
	if nftMode() {
		return nftRulesNormalized(t, node)
	}
	byChain := map[string][]string{}
	table := ""
	for _, l := range strings.Split(normalizedSave(t, node), "\n") {
		switch {
		case strings.HasPrefix(l, "*"):
			table = l
		case strings.Contains(l, "NODENET") && strings.HasPrefix(l, ":"):
			byChain[table+" "+strings.Fields(l)[0]] = append(byChain[table+" "+strings.Fields(l)[0]], l)
		case strings.Contains(l, "NODENET") && strings.HasPrefix(l, "-A "):
			key := table + " :" + strings.Fields(l)[1]
			byChain[key] = append(byChain[key], l)
		}
	}
	keys := make([]string, 0, len(byChain))
	for k := range byChain {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, k)
		out = append(out, byChain[k]...)
	}
	return strings.Join(out, "\n")
}

// lineDiff lists the lines only in a ("-") or only in b ("+").
func lineDiff(a, b string) string {
	inA, inB := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		inA[l] = true
	}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		inB[l] = true
		if !inA[l] {
			out = append(out, "+ "+l)
		}
	}
	for _, l := range strings.Split(a, "\n") {
		if !inB[l] {
			out = append(out, "- "+l)
		}
	}
	if len(out) == 0 {
		return "(same lines, different order)"
	}
	return strings.Join(out, "\n")
}
