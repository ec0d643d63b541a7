//go:build vmguest

package kubeproxyguest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/test/netns"
)

// TestKubeProxyIPVSCleanup: upstream kube-proxy (--proxy-mode ipvs) runs in
// a namespace holding the VM's network card until it has made the
// virtual servers the host expects, is stopped, and `nodenet cleanup
// --kube-proxy` runs twice; then the namespace's virtual servers, links,
// ipsets and rulesets equal those of a namespace that never ran
// kube-proxy (the card aside), both holding other programs' objects.
func TestKubeProxyIPVSCleanup(t *testing.T) {
	cfg := readConfig(t)
	kp := netns.New(t, "nnt-kp")
	fresh := netns.New(t, "nnt-fresh")
	netns.Run(t, "", "ip", "link", "set", "eth0", "netns", kp.Name)
	kp.IP(t, "addr", "add", GuestAddr+"/24", "dev", "eth0")
	kp.IP(t, "link", "set", "eth0", "up")
	for _, ns := range []*netns.NS{kp, fresh} {
		addOtherPrograms(t, ns, cfg)
	}
	want := state(t, fresh)

	proxy := netns.Start(t, kp.Name, "kube-proxy", KubeProxyBin, "--kubeconfig", Kubeconfig,
		"--hostname-override", cfg.Node, "--proxy-mode", "ipvs", "--cluster-cidr", "10.244.0.0/16",
		"--metrics-bind-address", "127.0.0.1:10249", "--healthz-bind-address", "127.0.0.1:10256",
		"--conntrack-max-per-core", "0", "--conntrack-tcp-timeout-established", "0", "--conntrack-tcp-timeout-close-wait", "0",
		// Else kube-proxy deletes the other programs' virtual servers at its
		// syncs: it removes every one of its family it did not make, outside
		// these ranges (pkg/proxy/ipvs: cleanLegacyService).
		"--ipvs-exclude-cidrs", "198.51.100.7/32,203.0.113.9/32,"+GuestAddr+"/32")
	proxy.LogOnFailure(t)
	// Stopped only after its whole first sync: virtual servers first, then
	// the sets (naming its NodePorts, one set after another), the iptables
	// rules last. (/healthz is no sign: it answers 200 before the first
	// sync.)
	netns.Eventually(t, 4*time.Minute, "kube-proxy's virtual servers, sets and rules", func() error {
		if exited, err := proxy.Exited(); exited {
			return netns.Permanent(fmt.Errorf("kube-proxy exited: %v", err))
		}
		if err := hasVirtualServers(kp, cfg.VirtualServers); err != nil {
			return err
		}
		if err := nodePortsInSets(kp, cfg.VirtualServers); err != nil {
			return err
		}
		if out, _ := kp.Exec("iptables-nft-save", "-t", "nat"); !strings.Contains(out, "--match-set KUBE-CLUSTER-IP") {
			return errors.New("kube-proxy's nat rules not written yet")
		}
		return nil
	})
	proxy.Stop()
	left := state(t, kp)
	for _, s := range []string{"kube-ipvs0", "KUBE-CLUSTER-IP", "KUBE-NODE-PORT-TCP", "KUBE-SERVICES"} {
		if !strings.Contains(left, s) {
			t.Fatalf("kube-proxy left no %s; nothing to prove the cleanup on:\n%s", s, left)
		}
	}
	for _, ns := range []*netns.NS{kp, kp, fresh} { // twice: idempotent
		if out, err := ns.Exec(os.Getenv("NODENET_BIN"), "cleanup", "--kube-proxy"); err != nil {
			t.Fatalf("nodenet cleanup --kube-proxy in %s: %v\n%s", ns.Name, err, out)
		} else {
			t.Logf("cleanup in %s:\n%s", ns.Name, out)
		}
	}
	if got := state(t, kp); got != want {
		t.Errorf("after kube-proxy and the cleanup:\n%s\nwant, as never touched by kube-proxy:\n%s\nkube-proxy had left:\n%s", got, want, left)
	}
	if got := state(t, fresh); got != want {
		t.Errorf("the cleanup changed a namespace kube-proxy never ran in:\n%s\nwas:\n%s", got, want)
	}
}

func readConfig(t *testing.T) Config {
	t.Helper()
	b, err := os.ReadFile(ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// otherPrograms' iptables rules: kubelet's chains (its hint makes
// kube-proxy use iptables-nft) and a chain of another program that
// matches its own ipset.
const otherRules = `*mangle
:KUBE-IPTABLES-HINT - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
COMMIT
*filter
:KUBE-FIREWALL - [0:0]
:NNT-OTHER - [0:0]
-A INPUT -j KUBE-FIREWALL
-A INPUT -j NNT-OTHER
-A NNT-OTHER -m set --match-set nnt-other src -j ACCEPT
COMMIT
`

// addOtherPrograms gives ns what must survive the cleanup: a virtual
// server on another program's dummy link, one on the node's address at a
// port that is no NodePort, one at kube-proxy's NodePort on an address
// that is not the node's, a set with a KUBE- name kube-proxy never uses
// (kube-router's policy sets look like it), and iptables rules.
func addOtherPrograms(t *testing.T, ns *netns.NS, cfg Config) {
	t.Helper()
	ns.IP(t, "link", "add", "nnt-other0", "type", "dummy")
	ns.IP(t, "addr", "add", "198.51.100.7/32", "dev", "nnt-other0")
	ns.IP(t, "link", "set", "nnt-other0", "up")
	for _, vs := range []string{"198.51.100.7:80", GuestAddr + ":8080", "203.0.113.9:" + strconv.Itoa(cfg.NodePort)} {
		ns.Run(t, "ipvsadm", "-A", "-t", vs, "-s", "rr")
	}
	ns.Run(t, "ipvsadm", "-a", "-t", "198.51.100.7:80", "-r", "10.244.9.9:80", "-m")
	ns.Run(t, "ipset", "create", "nnt-other", "hash:ip")
	ns.Run(t, "ipset", "add", "nnt-other", "192.0.2.1")
	ns.Run(t, "ipset", "create", "KUBE-SRC-NNTOTHER", "hash:ip")
	cmd := netns.Command(ns.Name, "iptables-nft-restore", "--noflush")
	cmd.Stdin = strings.NewReader(otherRules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("iptables-nft-restore in %s: %v\n%s", ns.Name, err, out)
	}
}

// hasVirtualServers tells which of want (ipvs.ServiceKey strings) ns lacks.
func hasVirtualServers(ns *netns.NS, want []string) error {
	k, err := ipvs.NewKernel("/run/netns/" + ns.Name)
	if err != nil {
		return err
	}
	vss, err := k.VirtualServers()
	if err != nil {
		return err
	}
	var have []string
	for _, vs := range vss {
		have = append(have, vs.ServiceKey.String())
	}
	var missing []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %v; have %v", missing, have)
	}
	return nil
}

// nodePortsInSets tells which NodePorts among want (virtual servers on
// GuestAddr, "10.0.2.15:30080/TCP") are not in kube-proxy's
// KUBE-NODE-PORT-<protocol> set yet.
func nodePortsInSets(ns *netns.NS, want []string) error {
	for _, vs := range want {
		addrPort, proto, _ := strings.Cut(vs, "/")
		host, port, err := net.SplitHostPort(addrPort)
		if err != nil || host != GuestAddr {
			continue
		}
		set := "KUBE-NODE-PORT-" + proto
		if out, _ := ns.Exec("ipset", "list", set); !strings.Contains(out, "\n"+port+"\n") {
			return fmt.Errorf("NodePort %s not in %s yet", port, set)
		}
	}
	return nil
}

// state is what the comparison covers: virtual servers, link names (the
// network card aside), ipsets with their members, and every ruleset.
func state(t *testing.T, ns *netns.NS) string {
	t.Helper()
	var links []string
	for _, l := range strings.Split(strings.TrimSpace(ns.IP(t, "-o", "link", "show")), "\n") {
		if f := strings.Fields(l); len(f) > 1 {
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if name != "eth0" {
				links = append(links, name)
			}
		}
	}
	return fmt.Sprintf("## ipvsadm\n%s\n## links\n%s\n## ipset\n%s\n%s",
		sortedLines(ns.Run(t, "ipvsadm", "-Sn")), strings.Join(slices.Sorted(slices.Values(links)), "\n"),
		sortedLines(initval.ReplaceAllString(ns.Run(t, "ipset", "save"), "")), netns.Ruleset(t, ns))
}

// initval is the random hash seed each hash set gets when created.
var initval = regexp.MustCompile(` initval 0x[0-9a-f]+`)

func sortedLines(out string) string {
	return strings.Join(slices.Sorted(slices.Values(strings.Split(strings.TrimSpace(out), "\n"))), "\n")
}
