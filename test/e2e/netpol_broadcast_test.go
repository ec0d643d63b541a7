//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// groupDst is a broadcast or multicast destination every pod receives.
type groupDst struct {
	iptables, addr, send string
	// gated: an address of the node's pod range that no pod has, which
	// the firewall's unknown-pod gate rejects for every pod while any
	// policy exists (so z/open gets none either).
	gated bool
}

func groupDsts() []groupDst {
	return []groupDst{
		{"iptables", "255.255.255.255", "255.255.255.255:80", false},
		{"iptables", "10.244.1.255", "10.244.1.255:80", true}, // the pod subnet's broadcast
		{"iptables", "224.0.0.1", "224.0.0.1:80", false},      // all hosts
		{"ip6tables", "ff02::1", "[ff02::1%eth0]:80", false},  // all nodes
	}
}

// TestNetworkPolicyBroadcastMulticast: a pod isolated for ingress gets no
// broadcast or multicast from a pod its policies do not allow, while a
// pod no policy isolates does, and the same datagrams reach it once a
// policy allows the sender. ARP and neighbour discovery keep working
// for the isolated pod meanwhile.
func TestNetworkPolicyBroadcastMulticast(t *testing.T) {
	w := newCNIWorld(t, podRef{NS: "z", Name: "open"})
	open := w.extra[0]
	for _, d := range groupDsts() {
		comment := "nnt group " + d.addr
		for _, p := range []*cniPod{w.victim, open} {
			netns.Run(t, p.ns.Name, d.iptables, "-w", "-A", "INPUT", "-d", d.addr, "-p", "udp", "--dport", "80",
				"-m", "comment", "--comment", comment)
		}
	}
	// From the attacker's pod address: to ff02::1 the kernel would pick
	// its link-local one, which no policy can name.
	send := func(d groupDst) {
		src := w.attacker.ip
		if d.iptables == "ip6tables" {
			src = w.attacker.ip6
		}
		netns.Run(t, w.attacker.ns.Name, netns.EchoBin, "send", "-dev", "eth0", "-src", src, "-addr", d.send, "-n", "3")
	}
	received := func(p *cniPod, d groupDst) int {
		return packetCount(t, p.ns.Name, d.iptables, "INPUT", "nnt group "+d.addr)
	}

	for _, d := range groupDsts() {
		if d.gated {
			send(d)
		} else {
			netns.Eventually(t, 5*time.Second, d.addr+" reaches the pod no policy isolates", func() error {
				send(d)
				if n := received(open, d); n == 0 {
					return fmt.Errorf("z/open received nothing sent to %s", d.addr)
				}
				return nil
			})
		}
		if n := received(w.victim, d); n != 0 {
			t.Errorf("the isolated victim received %d datagrams sent to %s by a pod no policy allows", n, d.addr)
		}
	}
	// Address resolution is not policy: the victim still resolves and
	// reaches the open pod (its egress is not isolated).
	for _, ip := range []string{open.ip, open.ip6} {
		w.mustAnswer(w.victim.ns.Name, "tcp", net.JoinHostPort(ip, "80"), 1)
	}

	w.write("np-x-allow.yaml", policyYAML("x", "allow-mallory", `podSelector: {}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: "y"}}
    podSelector: {matchLabels: {pod: mallory}}
`))
	for _, d := range groupDsts() {
		if d.gated {
			continue
		}
		netns.Eventually(t, 10*time.Second, d.addr+" from an allowed peer reaches the victim", func() error {
			send(d)
			if n := received(w.victim, d); n == 0 {
				return fmt.Errorf("the victim received nothing sent to %s by its allowed peer", d.addr)
			}
			return nil
		})
	}
}
