//go:build e2e

package firewall

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/netpol/firewall"
	"github.com/nodenet/nodenet/test/netns"
)

// TestSyncResyncCleanup: a sync programs chains, hook and sets; a remote
// pod change touches only set members; a local pod change rewrites only
// its chains and the dispatch chains (rules elsewhere keep their nft
// handles); cleanup gives back iptables-save and ipset save exactly.
func TestSyncResyncCleanup(t *testing.T) {
	ns := newNode(t)
	ns.Sysctl(t, "net.bridge.bridge-nf-call-iptables", "0")
	// Others' rules and sets, which the firewall must leave alone (and
	// which make iptables-nft create its tables before the snapshot).
	ns.Run(t, "iptables", "-A", "FORWARD", "-s", "10.9.9.9", "-j", "DROP")
	ns.Run(t, "ip6tables", "-A", "FORWARD", "-s", "fd09::9", "-j", "DROP")
	ns.Run(t, "ipset", "create", "nnt-other", "hash:ip")
	before := ruleState(t, ns)
	var fw *firewall.Firewall
	in := testInput()
	mustWithin(t, ns.Name, func() (err error) {
		if fw, err = firewall.New(firewall.Options{LogDrops: true}); err != nil {
			return err
		}
		return fw.Sync(compute(t, in), false)
	})
	t.Cleanup(func() { _ = within(t, ns.Name, firewall.Cleanup) })

	save := ns.Run(t, "iptables-save", "-t", "filter")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^-A FORWARD -m comment --comment "nodenet network policy" -j NODENET-FW$`),
		regexp.MustCompile(`(?m)^-A NODENET-FW-I-\w+ -p tcp -m set --match-set NNP-\w+ src -m tcp --dport 8000:8100 -j MARK --set-xmark 0x2000/0x2000$`),
		regexp.MustCompile(`(?m)^-A NODENET-FW-E-\w+ -d 192.168.0.0/16 -m set ! --match-set NNP-\w+-X dst -j MARK --set-xmark 0x2000/0x2000$`),
		regexp.MustCompile(`(?m)^-A NODENET-FW -s 10.1.0.0/24 -m set ! --match-set NNP-FW-KNOWN src -j REJECT --reject-with icmp-admin-prohibited$`),
		regexp.MustCompile(`(?m)^-A NODENET-FW-EGRESS -s 10.1.0.10/32 -j NODENET-FW-E-\w+$`),
		regexp.MustCompile(`(?m)NFLOG --nflog-prefix "nodenet deny ingress x/web by x/web" --nflog-group 100$`),
	} {
		if !want.MatchString(save) {
			t.Errorf("iptables-save lacks %s:\n%s", want, save)
		}
	}
	if got := strings.TrimSpace(ns.Run(t, "sysctl", "-n", "net.bridge.bridge-nf-call-iptables")); got != "1" {
		t.Errorf("bridge-nf-call-iptables = %s, want 1", got)
	}
	if got := setMembers(t, ns, "NNP-FW-KNOWN"); !slices.Equal(got, []string{"10.0.0.1", "10.1.0.10", "10.1.0.11"}) {
		t.Errorf("NNP-FW-KNOWN = %v", got)
	}
	clientSet := regexp.MustCompile(`--match-set (NNP-\w+) src -m tcp --dport 80 `).FindStringSubmatch(save)
	if clientSet == nil {
		t.Fatalf("no client set in:\n%s", save)
	}
	if got := setMembers(t, ns, clientSet[1]); !slices.Equal(got, []string{"10.1.0.11", "10.2.0.11"}) {
		t.Errorf("%s = %v", clientSet[1], got)
	}

	t.Run("remote pod added: set members only", func(t *testing.T) {
		handles := ruleHandles(t, ns)
		in.Pods = append(in.Pods, testPod("x", "remote-client-2", "n3", "10.3.0.12", "client"))
		mustWithin(t, ns.Name, func() error { return fw.Sync(compute(t, in), false) })
		if got := setMembers(t, ns, clientSet[1]); !slices.Contains(got, "10.3.0.12") {
			t.Errorf("%s = %v, want 10.3.0.12 added", clientSet[1], got)
		}
		if after := ruleHandles(t, ns); !maps(handles, after) {
			t.Errorf("rules were rewritten:\nbefore %v\nafter %v", handles, after)
		}
	})

	t.Run("local pod added: its chains and the dispatch chains only", func(t *testing.T) {
		handles := ruleHandles(t, ns)
		in.Pods = append(in.Pods, testPod("x", "web-2", thisNode, "10.1.0.12", "web"))
		mustWithin(t, ns.Name, func() error { return fw.Sync(compute(t, in), false) })
		after := ruleHandles(t, ns)
		for chain, h := range handles {
			rewritten := !slices.Equal(after[chain], h)
			dispatch := chain == "NODENET-FW-EGRESS" || chain == "NODENET-FW-INGRESS"
			if rewritten != dispatch {
				t.Errorf("chain %s rewritten = %t, want %t", chain, rewritten, dispatch)
			}
		}
		if len(after) != len(handles)+2 {
			t.Errorf("chains %d -> %d, want two new pod chains", len(handles), len(after))
		}
		if got := setMembers(t, ns, "NNP-FW-KNOWN"); !slices.Contains(got, "10.1.0.12") {
			t.Errorf("NNP-FW-KNOWN = %v, want 10.1.0.12", got)
		}
	})

	t.Run("full resync of the same model changes nothing visible", func(t *testing.T) {
		saved := ruleState(t, ns)
		mustWithin(t, ns.Name, func() error { return fw.Sync(compute(t, in), true) })
		if after := ruleState(t, ns); after != saved {
			t.Errorf("full resync changed the rules:\n%s\nwas:\n%s", after, saved)
		}
		mustWithin(t, ns.Name, func() error {
			if ok, err := fw.Intact(); !ok || err != nil {
				t.Errorf("Intact = %t, %v", ok, err)
			}
			return nil
		})
	})

	t.Run("full resync repairs drift", func(t *testing.T) {
		saved := ruleState(t, ns)
		ns.Run(t, "ipset", "add", clientSet[1], "10.9.9.9")
		ns.Run(t, "ipset", "del", "NNP-FW-KNOWN", "10.1.0.11")
		ns.Run(t, "ipset", "create", "NNP-STALESTALESTALE2-X", "hash:net") // a peer's except set, no longer wanted
		ns.Run(t, "iptables", "-N", "NODENET-FW-I-STALE")
		ns.Run(t, "iptables", "-D", "FORWARD", "-m", "comment", "--comment", "nodenet network policy", "-j", "NODENET-FW")
		ns.Run(t, "iptables", "-A", "FORWARD", "-m", "comment", "--comment", "nodenet network policy", "-j", "NODENET-FW")
		mustWithin(t, ns.Name, func() error {
			if ok, _ := fw.Intact(); ok {
				t.Error("Intact with the hook last = true")
			}
			return fw.Sync(compute(t, in), true)
		})
		if after := ruleState(t, ns); after != saved {
			t.Errorf("full resync left:\n%s\nwant:\n%s", after, saved)
		}
	})

	t.Run("cleanup gives the kernel back, twice", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			mustWithin(t, ns.Name, firewall.Cleanup)
			if after := ruleState(t, ns); after != before {
				t.Fatalf("after cleanup #%d:\n%s\nbefore the firewall:\n%s", i+1, after, before)
			}
		}
	})
}

// ruleHandles maps each of the firewall's IPv4 chains to its rules' nft
// handles: a rewritten chain gets new handles, an untouched one keeps them.
func ruleHandles(t testing.TB, ns *netns.NS) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	chain := ""
	handle := regexp.MustCompile(`# handle (\d+)$`)
	for _, l := range strings.Split(ns.Run(t, "nft", "-a", "list", "table", "ip", "filter"), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "chain ") {
			chain = strings.Fields(l)[1]
			if strings.HasPrefix(chain, "NODENET-FW") {
				out[chain] = []string{}
			}
			continue
		}
		if m := handle.FindStringSubmatch(l); m != nil && strings.HasPrefix(chain, "NODENET-FW") && !strings.HasPrefix(l, "chain") {
			out[chain] = append(out[chain], m[1])
		}
	}
	return out
}

func maps(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
