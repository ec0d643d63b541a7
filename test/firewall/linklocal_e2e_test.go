//go:build e2e

package firewall

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/netpol/firewall"
	"github.com/nodenet/nodenet/test/netns"
)

// TestLinkLocalIsGated: every pod on the bridge also has an IPv6
// link-local address (fe80::/10, even in an IPv4-only cluster), which no
// pod chain dispatches on. Bridged, that traffic crosses FORWARD like any
// other, so without a gate a pod the policy denies would reach pod-a
// over it: TCP to [fe80::…%eth0]:8080. Neighbour discovery, which runs on
// those addresses, must still pass (pod-b still reaches pod-a over IPv6).
// The denied dial times out: the node cannot route the REJECT's ICMPv6
// back to a link-local address seen on a bridge port.
func TestLinkLocalIsGated(t *testing.T) {
	topo := netns.NewProxyTopology(t, "fwll", "pod-a", "pod-b", "pod-c")
	a, b, c := topo.Pods[0], topo.Pods[1], topo.Pods[2]
	a.StartEcho(t, 8080, 0)
	linkLocal := "[" + linkLocalOf(t, a.NS) + "%eth0]:8080"
	expect(t, c.Name, linkLocal, "pod-a", "") // open before any policy: the path works
	enforceDualStack(t, topo)

	expect(t, b.Name, "["+a.IP6+"]:8080", "pod-a", "") // allowed peer, IPv6: NDP works
	for _, from := range []*netns.Pod{b, c} {
		answers, err := netns.Dial(from.Name, "tcp", linkLocal, 1, probeTimeout)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s -> %s: %s", from.PodName, linkLocal, answers[0].Line)
		if answers[0].Pod != "" {
			t.Errorf("%s reached pod-a at %s, its link-local address, past its policy (%s)", from.PodName, linkLocal, answers[0].Line)
		}
	}
}

// enforceDualStack syncs a firewall on the node with trafficInput, the
// pods having their IPv6 addresses too; cleanup removes it.
func enforceDualStack(t *testing.T, topo *netns.ProxyTopology) {
	t.Helper()
	in := trafficInput(topo)
	in.PodCIDRs = append(in.PodCIDRs, netip.MustParsePrefix(netns.PodCIDR6))
	for i, p := range topo.Pods {
		in.Pods[i].IPs = append(in.Pods[i].IPs, netip.MustParseAddr(p.IP6))
	}
	mustWithin(t, topo.Node.Name, func() error {
		fw, err := firewall.New(firewall.Options{})
		if err != nil {
			return err
		}
		return fw.Sync(compute(t, in), false)
	})
	t.Cleanup(func() { _ = within(t, topo.Node.Name, firewall.Cleanup) })
}

// probeTimeout bounds a link-local dial: an answer comes in milliseconds.
const probeTimeout = time.Second

// linkLocalOf is the fe80:: address of eth0 in ns.
func linkLocalOf(t *testing.T, ns *netns.NS) string {
	t.Helper()
	for _, f := range strings.Fields(ns.Run(t, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link")) {
		if strings.HasPrefix(f, "fe80::") {
			return strings.Split(f, "/")[0]
		}
	}
	t.Fatal("no link-local address on eth0")
	return ""
}
