package proxy

import (
	"net/netip"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// NodeState is what backends need from the agent's own Node. It reaches
// them only through the table (Table.Node), so a Node change is applied at
// a sync like a Service change, never through a side channel.
type NodeState struct {
	// Name is this node's name (--hostname-override or the hostname).
	Name string
	// Zone is the Node's topology.kubernetes.io/zone label ("" when unset,
	// which turns zone hints off: no endpoint is hinted for "").
	Zone string
	// PrimaryIPs are the first InternalIP of each family in the Node's
	// status.addresses, IPv4 first (PrimaryIPs); empty until the Node is
	// seen. --nodeport-addresses primary serves NodePorts on them.
	PrimaryIPs []netip.Addr
}

// sameAddresses tells whether the addresses backends render are unchanged.
func (n NodeState) sameAddresses(o NodeState) bool { return slices.Equal(n.PrimaryIPs, o.PrimaryIPs) }

// PrimaryIPs are the node's primary IPs as kube-proxy's nftables mode
// reads them: the first InternalIP of each family in status.addresses,
// IPv4 first. Unparsable addresses are skipped.
func PrimaryIPs(n *v1.Node) []netip.Addr {
	var v4, v6 netip.Addr
	for _, a := range n.Status.Addresses {
		if a.Type != v1.NodeInternalIP {
			continue
		}
		ip, err := netip.ParseAddr(a.Address)
		if err != nil {
			continue
		}
		ip = ip.Unmap()
		switch {
		case ip.Is4() && !v4.IsValid():
			v4 = ip
		case ip.Is6() && !v6.IsValid():
			v6 = ip
		}
	}
	var out []netip.Addr
	for _, a := range []netip.Addr{v4, v6} {
		if a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

// setNode records the agent's own Node (nil: deleted) and tells whether a
// sync is needed: only when what the table carries (zone, primary IPs)
// differs from what it was last given. Other label changes (kube-proxy
// resyncs on any) change nothing here. A deleted Node clears the zone, as
// kube-proxy's OnNodeDelete does, but keeps the primary IPs: a deleted
// Node object says nothing about the addresses the host still has, and
// exposing NodePorts nowhere because of it would cut live traffic.
func (p *Proxier) setNode(n *v1.Node) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.health.NodeDraining = nodeDraining(n)
	p.node.Zone = ""
	if n != nil {
		p.node.Zone = n.Labels[v1.LabelTopologyZone]
		p.node.PrimaryIPs = PrimaryIPs(n)
	}
	if p.node.Zone != p.tableNode.Zone {
		klog.V(2).InfoS("Node zone changed; topology-aware Services will be re-evaluated", "zone", p.node.Zone, "previous", p.tableNode.Zone)
	}
	if !p.node.sameAddresses(p.tableNode) {
		klog.InfoS("Node's primary IPs changed", "ips", p.node.PrimaryIPs, "previous", p.tableNode.PrimaryIPs)
	}
	return p.node.Zone != p.tableNode.Zone || !p.node.sameAddresses(p.tableNode)
}

// ToBeDeletedTaint is the taint the cluster autoscaler puts on a node it
// is about to remove.
const ToBeDeletedTaint = "ToBeDeletedByClusterAutoscaler"

// nodeDraining tells whether load balancers should stop sending to this
// node, as kube-proxy's /healthz does since KEP-3836: the Node is being
// deleted (n nil: it is gone) or carries the cluster autoscaler's taint.
func nodeDraining(n *v1.Node) bool {
	if n == nil || n.DeletionTimestamp != nil {
		return true
	}
	for _, t := range n.Spec.Taints {
		if t.Key == ToBeDeletedTaint {
			return true
		}
	}
	return false
}
