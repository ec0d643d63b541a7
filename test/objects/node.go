package objects

import (
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NodeOption changes a Node being built.
type NodeOption func(*v1.Node)

// Node is the Node name.
func Node(name string, opts ...NodeOption) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, o := range opts {
		o(n)
	}
	return n
}

// NodeLabels sets the Node's labels.
func NodeLabels(labels map[string]string) NodeOption {
	return func(n *v1.Node) { n.Labels = labels }
}

// InZone labels the Node with topology.kubernetes.io/zone.
func InZone(zone string) NodeOption {
	return func(n *v1.Node) {
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		n.Labels[v1.LabelTopologyZone] = zone
	}
}

// NodeAddresses appends status.addresses of type t.
func NodeAddresses(t v1.NodeAddressType, ips ...string) NodeOption {
	return func(n *v1.Node) {
		for _, ip := range ips {
			n.Status.Addresses = append(n.Status.Addresses, v1.NodeAddress{Type: t, Address: ip})
		}
	}
}

// InternalIPs appends InternalIP addresses (the primary IPs are the
// first of each family).
func InternalIPs(ips ...string) NodeOption { return NodeAddresses(v1.NodeInternalIP, ips...) }

// PodCIDRs sets spec.podCIDRs (and spec.podCIDR, the first).
func PodCIDRs(cidrs ...string) NodeOption {
	return func(n *v1.Node) {
		n.Spec.PodCIDRs = cidrs
		if len(cidrs) > 0 {
			n.Spec.PodCIDR = cidrs[0]
		}
	}
}
