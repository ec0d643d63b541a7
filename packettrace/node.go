package packettrace

import (
	"net/netip"
	"slices"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/agent/serve"
)

// Node is what a trace reads: the node's programmed state, as the agent
// serves it, and its NetworkPolicy verdicts.
type Node struct {
	// Dump is the agent's /dump: the desired table as handed to the
	// backend (Service ports, frontends, endpoints and which of them are
	// targets), the node's state and the flags that shape the rules.
	Dump serve.DumpView
	// LocalAddrs are the node's own addresses: NodePorts answer on them
	// (within --nodeport-addresses), and a client using one is the node.
	LocalAddrs []netip.Addr
	// Pods maps "namespace/name" to the pod's addresses, for --from and
	// --to given by name, and for naming endpoints.
	Pods map[string][]netip.Addr
	// Policy answers NetworkPolicy questions; nil when the agent does not
	// enforce NetworkPolicy (--netpol=false).
	Policy Policy
}

// Policy is the NetworkPolicy firewall's verdict on a connection as the
// firewall sees it: after the Service DNAT (dst is the endpoint) and
// before masquerade (src is the client's own address).
type Policy interface {
	Verdict(src, dst netip.Addr, port int32, protocol v1.Protocol) (allowed bool, reasons []string, err error)
}

func (n *Node) isLocal(a netip.Addr) bool { return slices.Contains(n.LocalAddrs, a) }

// podOf names the pod that has address a, "" when none is known.
func (n *Node) podOf(a netip.Addr) string {
	for name, ips := range n.Pods {
		if slices.Contains(ips, a) {
			return name
		}
	}
	return ""
}

// clusterCIDRs are --cluster-cidr of a's family.
func (n *Node) clusterCIDR(a netip.Addr) (netip.Prefix, bool) {
	if n.Dump.Proxy == nil {
		return netip.Prefix{}, false
	}
	for _, s := range n.Dump.Proxy.ClusterCIDRs {
		if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() == a.Is4() {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func (n *Node) masqueradeAll() bool { return n.Dump.Proxy != nil && n.Dump.Proxy.MasqueradeAll }
