package netpol

import (
	"cmp"
	"net/netip"
	"slices"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// namespaceNameLabel is set on every namespace by the API server; adding it
// here too lets policies select namespaces we were given without labels.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// cluster indexes the Input for selector matching. Pods are grouped by
// namespace because every selector is scoped by namespace first: a policy
// selects only in its own namespace, and a peer either searches the
// policy's namespace or the namespaces its namespaceSelector matches.
// Matching the few namespaces first keeps Compute proportional to the pods
// a selector can reach, not to every pod for every peer.
type cluster struct {
	nodeName string
	// pods is sorted by key so that every derived list is deterministic.
	pods  []*Pod
	byKey map[types.NamespacedName]*Pod
	// namespaces are those that have pods, sorted by name; their pod lists
	// keep the order of pods, so concatenating them keeps it too.
	namespaces  []*namespacePods
	byNamespace map[string]*namespacePods
	// local and addressable are the cluster-wide lists (see isLocal and
	// isAddressable), in the order of pods.
	local       []*Pod
	addressable []*Pod
}

// namespacePods is one namespace's labels and pods, computed once per
// Compute so that matching never builds a label set.
type namespacePods struct {
	name   string
	labels labels.Set
	// local are the pods policies of this namespace may select,
	// addressable those a peer selector may match.
	local       []*Pod
	addressable []*Pod
	// index is addressable by label, built on first use: many namespaces
	// are never searched by a selector that could use it.
	index labelIndex
}

func newCluster(in *Input) *cluster {
	c := &cluster{
		nodeName:    in.NodeName,
		pods:        unmappedCopies(in.Pods),
		byKey:       make(map[types.NamespacedName]*Pod, len(in.Pods)),
		byNamespace: map[string]*namespacePods{},
	}
	for _, pod := range c.pods {
		c.byKey[pod.Key()] = pod
	}
	slices.SortFunc(c.pods, func(a, b *Pod) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	c.indexNamespaces(namespaceLabels(in.Namespaces))
	return c
}

// unmappedCopies copies pods with their IPs unmapped, leaving the Input
// untouched. One backing array each for pods and IPs saves two allocations
// per pod.
func unmappedCopies(pods []Pod) []*Pod {
	copies := slices.Clone(pods)
	out := make([]*Pod, len(copies))
	ips := make([]netip.Addr, 0, countIPs(pods))
	for i := range copies {
		start := len(ips)
		for _, ip := range copies[i].IPs {
			ips = append(ips, ip.Unmap())
		}
		// The full slice expression keeps an append to one pod's IPs off
		// the next pod's.
		copies[i].IPs = ips[start:len(ips):len(ips)]
		out[i] = &copies[i]
	}
	return out
}

func countIPs(pods []Pod) int {
	n := 0
	for i := range pods {
		n += len(pods[i].IPs)
	}
	return n
}

// namespaceLabels maps each namespace to its labels; a later entry for the
// same name wins.
func namespaceLabels(namespaces []Namespace) map[string]map[string]string {
	out := make(map[string]map[string]string, len(namespaces))
	for _, ns := range namespaces {
		out[ns.Name] = ns.Labels
	}
	return out
}

// indexNamespaces groups the sorted pods by namespace. Since pods are
// sorted by namespace first, each namespace is one run of them.
func (c *cluster) indexNamespaces(nsLabels map[string]map[string]string) {
	var ns *namespacePods
	for _, pod := range c.pods {
		if ns == nil || ns.name != pod.Namespace {
			ns = &namespacePods{name: pod.Namespace, labels: labelsOfNamespace(pod.Namespace, nsLabels[pod.Namespace])}
			c.namespaces = append(c.namespaces, ns)
			c.byNamespace[ns.name] = ns
		}
		if c.isLocal(pod) {
			ns.local = append(ns.local, pod)
			c.local = append(c.local, pod)
		}
		if isAddressable(pod) {
			ns.addressable = append(ns.addressable, pod)
			c.addressable = append(c.addressable, pod)
		}
	}
}

// labelsOfNamespace adds the name label to a namespace's own labels, which
// win if they set it too.
func labelsOfNamespace(name string, own map[string]string) labels.Set {
	set := make(labels.Set, len(own)+1)
	set[namespaceNameLabel] = name
	for k, v := range own {
		set[k] = v
	}
	return set
}

// isLocal reports whether policies on this node apply to pod: it runs here
// and has its own network namespace.
func (c *cluster) isLocal(pod *Pod) bool {
	return pod.NodeName == c.nodeName && !pod.HostNetwork
}

// isAddressable reports whether a peer selector can match pod. hostNetwork
// pods are left out: their IPs are their node's, and allowing a node
// because a label matched would open far more than the policy named
// (upstream leaves hostNetwork peers undefined).
func isAddressable(pod *Pod) bool {
	return !pod.HostNetwork && len(pod.IPs) > 0
}
