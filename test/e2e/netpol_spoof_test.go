//go:build e2e

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// The spoofing tests run pods made by the nodenet CNI plugin (the bridge
// port filter is the plugin's), on the proxy topology's bridge, beside the
// agent enforcing NetworkPolicy. The attacker is y/mallory, the victim
// x/victim under a default-deny ingress policy.

// cniPod is one pod the plugin attached: its netns and addresses.
type cniPod struct {
	ref     podRef
	ns      *netns.NS
	ip, ip6 string
}

// spoofNetConf puts the plugin's pods on the topology's bridge, in the
// node's pod range above the harness's own pods.
func spoofNetConf(dataDir string) string {
	return fmt.Sprintf(`{"cniVersion": "1.0.0", "name": "nnt-spoof", "type": "nodenet",
  "bridge": %q, "isGateway": true,
  "ipam": {"type": "host-local", "dataDir": %q, "ranges": [
    [{"subnet": %q, "rangeStart": "10.244.1.100", "gateway": %q}],
    [{"subnet": %q, "rangeStart": "fd00:10:244:1::100", "gateway": %q}]]}}`,
		netns.BridgeName, dataDir, netns.PodCIDR, netns.NodePodIP, netns.PodCIDR6, netns.NodePodIP6)
}

// addCNIPod runs the plugin's ADD in the node namespace, as a runtime
// would, for a new pod netns, and declares the pod to the agent.
func (s *scenario) addCNIPod(ref podRef, conf string) *cniPod {
	s.t.Helper()
	pod := &cniPod{ref: ref, ns: netns.New(s.t, s.topo.Prefix+"-"+ref.NS+ref.Name)}
	// No DAD: the pod's IPv6 address must be usable at once.
	pod.ns.Sysctl(s.t, "net.ipv6.conf.all.accept_dad", "0")
	pod.ns.Sysctl(s.t, "net.ipv6.conf.default.accept_dad", "0")
	cmd := netns.Command(s.topo.Node.Name, nodenetBin)
	cmd.Env = append(os.Environ(), "CNI_COMMAND=ADD", "CNI_CONTAINERID="+pod.ns.Name,
		"CNI_NETNS=/var/run/netns/"+pod.ns.Name, "CNI_IFNAME=eth0", "CNI_PATH="+filepath.Dir(nodenetBin))
	cmd.Stdin = strings.NewReader(conf)
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("CNI ADD %s: %v: %s", ref, err, out)
	}
	var res struct {
		IPs []struct{ Address string } `json:"ips"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		s.t.Fatalf("CNI ADD %s result %s: %v", ref, out, err)
	}
	for _, ip := range res.IPs {
		addr := strings.Split(ip.Address, "/")[0]
		if strings.Contains(addr, ":") {
			pod.ip6 = addr
		} else {
			pod.ip = addr
		}
	}
	s.write(podFile(ref), podYAML(ref, nodeName, pod.ip, pod.ip6))
	return pod
}

// cniWorld is a scenario whose pods the CNI plugin attached: attacker
// y/mallory, victim x/victim serving TCP and UDP on port 80 under
// default-deny ingress in x, and any extra pods (serving too).
type cniWorld struct {
	*scenario
	conf             string
	attacker, victim *cniPod
	extra            []*cniPod
}

// newCNIWorld builds the world and returns once default-deny is enforced
// (the attacker's own address is refused).
func newCNIWorld(t *testing.T, extra ...podRef) *cniWorld {
	w := &cniWorld{scenario: newScenario(t), conf: spoofNetConf(t.TempDir())}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := w.topo.Node.Exec("nft", "list", "table", "bridge", "nodenet-ports")
			t.Logf("---- the CNI plugin's port filter ----\n%s", out)
		}
	})
	w.write("node.yaml", policyNodeYAML())
	for _, ns := range []string{"x", "y", "z"} {
		w.write("ns-"+ns+".yaml", namespaceYAML(ns))
	}
	w.attacker = w.addCNIPod(podRef{NS: "y", Name: "mallory"}, w.conf)
	w.victim = w.addCNIPod(podRef{NS: "x", Name: "victim"}, w.conf)
	w.serve(w.victim)
	for _, ref := range extra {
		p := w.addCNIPod(ref, w.conf)
		w.serve(p)
		w.extra = append(w.extra, p)
	}
	w.startAgent("--iptables-min-sync-period", "100ms")
	w.write("np-x-deny.yaml", policyYAML("x", "deny", "podSelector: {}\npolicyTypes: [Ingress]\n"))
	for _, ip := range []string{w.victim.ip, "[" + w.victim.ip6 + "]"} {
		netns.Eventually(t, 10*time.Second, "default-deny enforced for "+ip, func() error {
			ans, err := w.dial(w.attacker.ns.Name, "tcp", ip+":80", 1)
			if err != nil {
				return err
			}
			if ans[0].Err == "" {
				return fmt.Errorf("attacker still reaches the victim at %s", ip)
			}
			return nil
		})
	}
	return w
}

func (w *cniWorld) serve(p *cniPod) {
	w.t.Helper()
	proc := netns.Start(w.t, p.ns.Name, "echo "+p.ref.String(), netns.EchoBin, "serve", "-name", p.ref.Name, "-tcp", ":80", "-udp", ":80")
	if err := proc.WaitOutput(10*time.Second, "ready"); err != nil {
		w.t.Fatal(err)
	}
	proc.LogOnFailure(w.t)
}

// packetCount reads the packet counter of the rules in chain of ns's
// filter table commented comment, summed.
func packetCount(t *testing.T, ns, iptables, chain, comment string) int {
	t.Helper()
	out := netns.Run(t, ns, iptables, "-w", "-nvxL", chain)
	n := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "/* "+comment+" */") {
			continue
		}
		v, err := strconv.Atoi(strings.Fields(line)[0])
		if err != nil {
			t.Fatalf("%s counter in %q: %v", iptables, line, err)
		}
		n += v
	}
	return n
}

// countFrom makes ns count TCP SYNs and UDP datagrams from src to port 80
// in chain (INPUT where they arrive, OUTPUT where they leave).
func countFrom(t *testing.T, ns, iptables, chain, flag, addr, comment string) {
	t.Helper()
	for _, proto := range []string{"tcp", "udp"} {
		netns.Run(t, ns, iptables, "-w", "-A", chain, flag, addr, "-p", proto, "--dport", "80",
			"-m", "comment", "--comment", comment)
	}
}

// TestNetworkPolicySpoofedNodeIP: a pod that takes the node's InternalIP
// (the firewall lets the node through every pod chain) must not get its
// TCP SYNs and UDP datagrams into a pod under default-deny. The plugin's
// bridge port filter drops packets whose source is not the port's own.
func TestNetworkPolicySpoofedNodeIP(t *testing.T) {
	w := newCNIWorld(t)
	attacker, victim := w.attacker, w.victim
	for _, fam := range []struct {
		iptables, nodeIP, victimIP, dial string
	}{
		{"iptables", netns.NodeExtIP, victim.ip, victim.ip + ":80"},
		{"ip6tables", netns.NodeExtIP6, victim.ip6, "[" + victim.ip6 + "]:80"},
	} {
		t.Run(fam.iptables, func(t *testing.T) {
			a := attacker.ns.Name
			bits := "/32"
			if fam.iptables == "ip6tables" {
				bits = "/128"
			}
			// nodad: a tentative IPv6 address cannot be a route's source.
			add := []string{"ip", "addr", "add", fam.nodeIP + bits, "dev", "eth0"}
			if fam.iptables == "ip6tables" {
				add = append(add, "nodad")
			}
			netns.Run(t, a, add...)
			netns.Run(t, a, "ip", "route", "replace", fam.victimIP+bits, "dev", "eth0", "src", fam.nodeIP)
			countFrom(t, a, fam.iptables, "OUTPUT", "-s", fam.nodeIP, "nnt spoofed")
			countFrom(t, victim.ns.Name, fam.iptables, "INPUT", "-s", fam.nodeIP, "nnt spoofed")
			for _, proto := range []string{"tcp", "udp"} {
				_, _ = netns.Dial(a, proto, fam.dial, 2, time.Second)
			}
			if sent := packetCount(t, a, fam.iptables, "OUTPUT", "nnt spoofed"); sent < 2 {
				t.Fatalf("the attacker sent %d spoofed packets, want at least a SYN and a datagram", sent)
			}
			if got := packetCount(t, victim.ns.Name, fam.iptables, "INPUT", "nnt spoofed"); got != 0 {
				t.Errorf("%d packets with the node's source %s reached the victim under default-deny", got, fam.nodeIP)
			}
		})
	}
}

// TestNetworkPolicySpoofedNeighbour: a pod announcing the gateway's
// address as its own (ARP reply, IPv6 neighbour advertisement) must not
// change the victim's neighbour entry, while an announcement of its own
// address (with a new MAC) still reaches the victim: layer 2 keeps
// working, only lies are dropped.
func TestNetworkPolicySpoofedNeighbour(t *testing.T) {
	w := newCNIWorld(t)
	attacker, victim := w.attacker, w.victim
	a, v := attacker.ns.Name, victim.ns.Name
	netns.Run(t, a, "ip", "link", "set", "eth0", "address", "02:00:00:00:0b:ad")
	for _, fam := range []struct{ gateway, own string }{
		{netns.NodePodIP, attacker.ip},
		{netns.NodePodIP6, attacker.ip6},
	} {
		t.Run(fam.gateway, func(t *testing.T) {
			// The victim knows both (a connection attempt resolves
			// them): an unsolicited announcement may rewrite them.
			for _, ip := range []string{fam.gateway, fam.own} {
				_, _ = netns.Dial(v, "tcp", net.JoinHostPort(ip, "9"), 1, time.Second)
				if neighMAC(t, v, ip) == "" {
					t.Fatalf("the victim has no neighbour entry for %s", ip)
				}
			}
			netns.Eventually(t, 10*time.Second, "the victim learns the attacker's new MAC from its announcement", func() error {
				netns.Run(t, a, netns.EchoBin, "garp", "-ip", fam.own)
				if mac := neighMAC(t, v, fam.own); mac != "02:00:00:00:0b:ad" {
					return fmt.Errorf("victim has %s for %s", mac, fam.own)
				}
				return nil
			})
			// Announce for longer than ARP's locktime (1 s), during
			// which a fresh entry ignores replies.
			err := netns.PollUntil(3*time.Second, 300*time.Millisecond, func() error {
				netns.Run(t, a, netns.EchoBin, "garp", "-ip", fam.gateway)
				if neighMAC(t, v, fam.gateway) == "02:00:00:00:0b:ad" {
					return nil
				}
				return errors.New("the victim keeps the gateway's MAC")
			})
			if err == nil {
				t.Errorf("the victim's neighbour entry for the gateway %s points at the attacker", fam.gateway)
			}
		})
	}
}

// neighMAC is ns's link-layer address for ip ("" if none).
func neighMAC(t *testing.T, ns, ip string) string {
	f := strings.Fields(netns.Run(t, ns, "ip", "neigh", "show", ip))
	for i, w := range f {
		if w == "lladdr" && i+1 < len(f) {
			return f[i+1]
		}
	}
	return ""
}
