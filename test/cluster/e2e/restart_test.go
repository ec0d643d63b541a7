//go:build e2e

package clustere2e

import (
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// TestRestartKeepsConnectionsAndRules: with new connections to a
// ClusterIP every 20 ms and a long-lived one exchanging lines, nodenet is
// stopped (SIGTERM) and started again, then killed (SIGKILL, the whole
// process group) and started again. No new connection fails, the held one
// keeps exchanging, and the rules converge without a flush: the same
// rules as before, in kernel objects that were never removed (iptables:
// the hooks' packet counters kept counting; nftables: the table, its
// chains, sets and maps keep their kernel handles).
func TestRestartKeepsConnectionsAndRules(t *testing.T) {
	for _, mode := range survivalModes {
		t.Run(mode, func(t *testing.T) {
			tn := newTrafficNode(t, mode)
			held := tn.holdConnection(t)
			probe := startProber(t, tn.client.Name, "ClusterIP from a pod", tn.vip)
			probe.waitAnswers(t, 5)
			before := kernelIdentity(t, tn.nd.ns, mode)

			tn.nd.agent.Stop()
			probe.waitAnswers(t, 5) // served with no agent running
			tn.restartAgent(t)
			probe.waitAnswers(t, 5)
			exchanging(t, held)
			after := kernelIdentity(t, tn.nd.ns, mode)
			before.expectKeptBy(t, after, "after a restart")

			_ = syscall.Kill(-tn.nd.agent.PID(), syscall.SIGKILL)
			<-tn.nd.agent.Done()
			probe.waitAnswers(t, 5)
			tn.restartAgent(t)
			probe.waitAnswers(t, 5)
			exchanging(t, held)
			killed := kernelIdentity(t, tn.nd.ns, mode)
			after.expectKeptBy(t, killed, "after a kill -9")

			attempts, failed, outage := probe.stop()
			t.Logf("%d new connections, %d failed, longest outage %v", attempts, len(failed), outage)
			if len(failed) > 0 {
				t.Errorf("%d new connections failed across the restarts (longest outage %v)", len(failed), outage)
			}
		})
	}
}

// identity is what a ruleset looks like and which kernel objects hold it.
type identity struct {
	// rules: nodenet's rules as text, counters and handles removed.
	rules string
	// objects: kernel handles (nftables) or hook packet counts (iptables)
	// by object; each must stay (handles) or not go down (counters).
	objects map[string]uint64
	counted bool // objects are counters, not handles
}

var (
	saveCounters = regexp.MustCompile(`^\[(\d+):\d+\] `)
	nftHandle    = regexp.MustCompile(`^\s*(table|chain|set|map) (.*?) \{ # handle (\d+)$`)
	nftCounters  = regexp.MustCompile(`counter packets \d+ bytes \d+`)
	nftComment   = regexp.MustCompile(` # handle \d+$`)
)

// kernelIdentity reads nodenet's rules in ns: iptables-save -c for the
// iptables mode (its chains, and the hooks into them with their
// counters), `nft -a list table ip nodenet` for nftables.
func kernelIdentity(t *testing.T, ns *netns.NS, mode string) identity {
	t.Helper()
	id := identity{objects: map[string]uint64{}}
	var rules []string
	if mode == "iptables" {
		id.counted = true
		for _, line := range strings.Split(ns.Run(t, "iptables-save", "-c"), "\n") {
			m := saveCounters.FindStringSubmatch(line)
			rule := saveCounters.ReplaceAllString(line, "")
			switch {
			case m != nil && !strings.HasPrefix(rule, "-A NODENET-") && strings.Contains(rule, " -j NODENET-"):
				n, _ := strconv.ParseUint(m[1], 10, 64)
				id.objects[rule] = n
				rules = append(rules, rule)
			case strings.HasPrefix(rule, "-A NODENET-") || strings.HasPrefix(rule, ":NODENET-"):
				rules = append(rules, strings.SplitN(rule, " [", 2)[0])
			}
		}
	} else {
		for _, line := range strings.Split(ns.Run(t, "nft", "-a", "list", "table", "ip", "nodenet"), "\n") {
			if m := nftHandle.FindStringSubmatch(line); m != nil {
				n, _ := strconv.ParseUint(m[3], 10, 64)
				id.objects[m[1]+" "+m[2]] = n
			}
			rules = append(rules, nftComment.ReplaceAllString(nftCounters.ReplaceAllString(line, "counter"), ""))
		}
	}
	id.rules = strings.Join(rules, "\n")
	if len(id.objects) == 0 {
		t.Fatalf("no nodenet hooks or objects in the kernel:\n%s", id.rules)
	}
	return id
}

// expectKeptBy fails unless later holds the same rules in the same
// kernel objects: every handle unchanged, every hook counter at least
// what it was (a hook deleted and put back would count from zero).
func (id identity) expectKeptBy(t *testing.T, later identity, when string) {
	t.Helper()
	if later.rules != id.rules {
		t.Errorf("%s the rules differ:\n%s", when, netns.LineDiff(id.rules, later.rules))
	}
	for obj, v := range id.objects {
		w, ok := later.objects[obj]
		switch {
		case !ok:
			t.Errorf("%s %q is gone", when, obj)
		case id.counted && w < v:
			t.Errorf("%s hook %q counts %d packets, %d before: it was replaced", when, obj, w, v)
		case !id.counted && w != v:
			t.Errorf("%s %q has handle %d, %d before: it was replaced", when, obj, w, v)
		}
	}
	if id.counted && sum(later.objects) == sum(id.objects) {
		t.Errorf("%s no hook counted a packet: the check proves nothing", when)
	}
}

func sum(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}
