package netpol

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Input is everything Compute needs: the cluster as seen by this node.
type Input struct {
	// NodeName is this node; only pods scheduled here get rules.
	NodeName string
	// NodeIPs are this node's own addresses. Traffic between a local pod and
	// these is always allowed (kubelet probes, host daemons), as the
	// NetworkPolicy API requires.
	NodeIPs []netip.Addr
	// PodCIDRs are this node's pod ranges (Node.spec.podCIDRs). The firewall
	// rejects addresses in them that belong to no known pod while any policy
	// exists, so a pod that starts before the agent learns of it gets no
	// window of full access (see netpol/README.md).
	PodCIDRs   []netip.Prefix
	Pods       []Pod
	Namespaces []Namespace
	Policies   []*networkingv1.NetworkPolicy
}

// Pod is the part of a v1.Pod the model needs. Callers should leave out pods
// that are finished (Succeeded/Failed): their IPs may already be reused.
type Pod struct {
	Namespace   string
	Name        string
	NodeName    string
	HostNetwork bool
	IPs         []netip.Addr
	Labels      map[string]string
	// Ports are the pod's container ports; only named ones matter, because
	// numeric policy ports need no resolution.
	Ports []NamedPort
}

// Key is the pod's namespace/name.
func (p *Pod) Key() types.NamespacedName {
	return types.NamespacedName{Namespace: p.Namespace, Name: p.Name}
}

// NamedPort is one container port that a policy may refer to by name.
type NamedPort struct {
	Name     string
	Port     int32
	Protocol v1.Protocol
}

// Namespace is the part of a v1.Namespace the model needs.
type Namespace struct {
	Name   string
	Labels map[string]string
}
