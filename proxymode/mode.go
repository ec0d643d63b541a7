// Package proxymode is the seam between the agent and the proxy backends:
// what a --proxy-mode (iptables, nftables, ipvs) implements, and the
// options each family's backend is built with. The agent's registry
// (cmd/nodenet/app/modes.go) lists the modes; nothing in proxy/ names one.
package proxymode

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/nodeport"
	"github.com/nodenet/nodenet/proxy"
)

// Mode is one kind of backend: a value of --proxy-mode and of mode: in the
// KubeProxyConfiguration file. Every method but New works without an agent
// running (`nodenet cleanup`, `nodenet dump rules`).
type Mode interface {
	// Name is the mode's --proxy-mode value, e.g. "iptables".
	Name() string
	// Usable is nil when this mode can program family in the current
	// network namespace (its tools, kernel modules and tables are there).
	// The agent runs one backend per usable family.
	Usable(family v1.IPFamily) error
	// New returns the backend of one family, programming the current
	// network namespace. It is driven by proxy.Proxier through
	// proxy.FamilyBackends; it may also implement proxy.Verifier.
	New(opts Options) (proxy.Backend, error)
	// Cleanup removes everything this mode ever programmed for family,
	// and nothing else; with nothing left it succeeds and changes nothing.
	Cleanup(family v1.IPFamily) error
	// DumpRules returns this mode's kernel state for family in the format
	// of the kernel's own tool (iptables-save, nft list, ipvsadm-save), so
	// the output can be fed back to it; "" when there is none.
	DumpRules(family v1.IPFamily) (string, error)
}

// Options configure one family's backend. The agent fills them from its
// flags (or config file), each family getting its own CIDRs.
type Options struct {
	// Family is the IP family this backend programs (one backend per family).
	Family v1.IPFamily
	// ClusterCIDRs: traffic to a ClusterIP from outside them is masqueraded.
	// At most one per family, as kube-proxy's --cluster-cidr.
	ClusterCIDRs []netip.Prefix
	// MasqueradeAll masquerades all Service traffic (--masquerade-all).
	MasqueradeAll bool
	// MasqueradeBit is the fwmark bit that asks for masquerade (kube-proxy: 14).
	MasqueradeBit int
	// NodePorts is --nodeport-addresses: which local addresses serve
	// NodePorts. Rule-based backends use NodePorts.Rules, backends that
	// bind each address NodePorts.NodeAddrs(LocalAddrs, ...); with Primary
	// the IPs come from proxy.Table.Node.PrimaryIPs at every Sync.
	NodePorts nodeport.Addresses
	// ServiceCIDRs is --service-cluster-ip-range: the ranges ClusterIPs
	// come from (this family's only). The nftables mode drops traffic to
	// their addresses that are no live ClusterIP, as kube-proxy's does;
	// other modes ignore it.
	ServiceCIDRs []netip.Prefix
	// LocalAddrs lists the node's addresses for backends that bind each
	// NodePort address; nil means nodeport.SystemAddrs (tests give a
	// nodeporttest.Addrs).
	LocalAddrs nodeport.AddrLister
}

// AddrLister is LocalAddrs, or the system's addresses when unset.
func (o Options) AddrLister() nodeport.AddrLister {
	if o.LocalAddrs == nil {
		return nodeport.SystemAddrs{}
	}
	return o.LocalAddrs
}

// Families are the IP families a node may run, in the order the agent
// starts, cleans up and prints them.
var Families = []v1.IPFamily{v1.IPv4Protocol, v1.IPv6Protocol}
