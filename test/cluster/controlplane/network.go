package controlplane

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// Network is the underlay of one test cluster: a bridge in namespace
// "<prefix>-u" that node namespaces join, plus one veth from the root
// namespace, where etcd and the API server run, to that bridge.
//
// A process in a network namespace cannot reach the root namespace's
// 127.0.0.1, so the API server listens on the root end of that veth. The
// addresses are a /24 of 198.18.0.0/15 (RFC 2544 benchmarking space, never
// routed on the Internet) picked at random, and no namespace gets a
// default route: nothing a test sends leaves the machine.
type Network struct {
	Prefix string    // e.g. "nnt-k-1a2b"
	NS     *netns.NS // the underlay namespace holding the bridge
	Subnet string    // e.g. "198.18.37.0/24"
	HostIP string    // root end of the veth, e.g. "198.18.37.1": the API server's address
	net    string    // "198.18.37"
}

// underlayBridge is the bridge's name inside the underlay namespace.
const underlayBridge = "nnt-under0"

// NewNetwork makes the underlay for a topology named by prefix
// (netns.UniquePrefix). The root end of the veth is named prefix itself
// (at most 15 bytes, the kernel's IFNAMSIZ-1: "nnt-k-1a2b" is 10).
func NewNetwork(t testing.TB, prefix string) *Network {
	t.Helper()
	netns.RequireRoot(t)
	if len(prefix) > 15 {
		t.Fatalf("network prefix %q: longer than an interface name may be", prefix)
	}
	n := &Network{Prefix: prefix, net: freeSubnet(t)}
	n.Subnet, n.HostIP = n.net+".0/24", n.net+".1"
	n.NS = netns.New(t, prefix+"-u")
	n.NS.AddBridge(t, underlayBridge)
	// The one link in the root namespace: made there under its unique
	// name, its peer goes straight into the underlay namespace. Deleting
	// that namespace destroys both ends; the explicit delete is for a
	// failure halfway.
	netns.Run(t, "", "ip", "link", "add", prefix, "type", "veth", "peer", "name", "root0", "netns", n.NS.Name)
	t.Cleanup(func() { _, _ = netns.Exec("", "ip", "link", "del", prefix) })
	netns.Run(t, "", "ip", "addr", "add", n.HostIP+"/24", "dev", prefix)
	netns.Run(t, "", "ip", "link", "set", prefix, "up")
	n.NS.IP(t, "link", "set", "root0", "up")
	n.NS.AttachToBridge(t, "root0", underlayBridge)
	return n
}

// Join connects ns to the underlay bridge through a veth named dev inside
// ns, with address <subnet>.host/24, and returns that address.
func (n *Network) Join(t testing.TB, ns *netns.NS, dev string, host int) string {
	t.Helper()
	if host < 2 || host > 254 {
		t.Fatalf("underlay host number %d: want 2-254 (.1 is the API server)", host)
	}
	port := fmt.Sprintf("u%d", host)
	n.NS.Veth(t, port, ns, dev)
	n.NS.AttachToBridge(t, port, underlayBridge)
	ip := n.Addr(host)
	ns.AddAddr(t, dev, ip+"/24")
	return ip
}

// Addr is the underlay address of host number host.
func (n *Network) Addr(host int) string { return fmt.Sprintf("%s.%d", n.net, host) }

// freeSubnet picks a /24 of 198.18.0.0/15 that no root-namespace address
// is in (concurrent clusters each have their own).
func freeSubnet(t testing.TB) string {
	t.Helper()
	addrs := netns.Run(t, "", "ip", "-4", "-o", "addr", "show")
	for range 20 {
		i, err := rand.Int(rand.Reader, big.NewInt(512))
		if err != nil {
			t.Fatal(err)
		}
		n := int(i.Int64())
		net := fmt.Sprintf("198.%d.%d", 18+n/256, n%256)
		if !strings.Contains(addrs, " "+net+".") {
			return net
		}
	}
	t.Fatal("no free /24 in 198.18.0.0/15 for the test cluster's underlay")
	return ""
}
