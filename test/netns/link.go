package netns

import (
	"strings"
	"testing"
)

// AddBridge creates and brings up a Linux bridge inside ns.
func (ns *NS) AddBridge(t testing.TB, name string) {
	t.Helper()
	ns.IP(t, "link", "add", name, "type", "bridge")
	ns.IP(t, "link", "set", name, "up")
}

// Veth creates a veth pair from inside ns: local stays in ns, remote is
// moved to peer under name remote. Creating it inside ns (not in the root
// namespace) means concurrent suites never race on interface names.
func (ns *NS) Veth(t testing.TB, local string, peer *NS, remote string) {
	t.Helper()
	ns.IP(t, "link", "add", local, "type", "veth", "peer", "name", remote, "netns", peer.Name)
	ns.IP(t, "link", "set", local, "up")
	peer.IP(t, "link", "set", remote, "up")
}

// AttachToBridge enslaves dev to bridge and turns hairpin on, so that a
// pod reaching a Service that picks the same pod gets its packet back, as
// on a real node's CNI bridge.
func (ns *NS) AttachToBridge(t testing.TB, dev, bridge string) {
	t.Helper()
	ns.IP(t, "link", "set", dev, "master", bridge)
	ns.Run(t, "bridge", "link", "set", "dev", dev, "hairpin", "on")
}

// AddAddr assigns cidr (e.g. "10.244.1.1/24") to dev. An IPv6 address
// skips duplicate address detection (nodad): nothing else owns it, and a
// tentative address would make the first packets of a test fail.
func (ns *NS) AddAddr(t testing.TB, dev, cidr string) {
	t.Helper()
	args := []string{"addr", "add", cidr, "dev", dev}
	if strings.Contains(cidr, ":") {
		args = append(args, "nodad")
	}
	ns.IP(t, args...)
}

// AddRoute adds a route to dst ("default" allowed: test namespaces only)
// through gateway via; via "" means on-link through dev.
func (ns *NS) AddRoute(t testing.TB, dst, via, dev string) {
	t.Helper()
	args := []string{"route", "add", dst}
	if strings.Contains(dst+via, ":") {
		args = append([]string{"-6"}, args...)
	}
	if via != "" {
		args = append(args, "via", via)
	}
	if dev != "" {
		args = append(args, "dev", dev)
	}
	ns.IP(t, args...)
}
