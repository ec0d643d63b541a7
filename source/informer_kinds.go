package source

import (
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
)

// Label selectors copied from kube-proxy: a Service naming another
// service-proxy-name belongs to a different proxy, and headless Services
// have no virtual IP to program.
const (
	serviceSelector       = "!service.kubernetes.io/service-proxy-name"
	endpointSliceSelector = "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"
)

func newServiceInformer(c *Client, _ string, resync time.Duration) cache.SharedIndexInformer {
	return newInformer(c.core, "services", &v1.Service{}, resync, withLabelSelector(serviceSelector))
}

func newEndpointSliceInformer(c *Client, _ string, resync time.Duration) cache.SharedIndexInformer {
	return newInformer(c.discovery, "endpointslices", &discovery.EndpointSlice{}, resync, withLabelSelector(endpointSliceSelector))
}

// newNodeInformer lists only the agent's own Node, so the agent does not pay
// for every Node of a large cluster.
func newNodeInformer(c *Client, nodeName string, resync time.Duration) cache.SharedIndexInformer {
	selector := fields.OneTermEqualSelector(metav1.ObjectNameField, nodeName).String()
	return newInformer(c.core, "nodes", &v1.Node{}, resync, func(options *metav1.ListOptions) {
		options.FieldSelector = selector
	})
}

// newPodInformer watches every Pod of the cluster: remote pods are the peers
// of local pods' policies. Its row strips them (stripPod) to bound memory.
func newPodInformer(c *Client, _ string, resync time.Duration) cache.SharedIndexInformer {
	return newInformer(c.core, "pods", &v1.Pod{}, resync, allObjects)
}

func newNamespaceInformer(c *Client, _ string, resync time.Duration) cache.SharedIndexInformer {
	return newInformer(c.core, "namespaces", &v1.Namespace{}, resync, allObjects)
}

func newNetworkPolicyInformer(c *Client, _ string, resync time.Duration) cache.SharedIndexInformer {
	return newInformer(c.networking, "networkpolicies", &networkingv1.NetworkPolicy{}, resync, allObjects)
}

// newInformer watches resource in every namespace through the REST client
// of its group-version; modify narrows the list and watch options.
func newInformer(client cache.Getter, resource string, example runtime.Object, resync time.Duration, modify func(*metav1.ListOptions)) cache.SharedIndexInformer {
	lw := cache.NewFilteredListWatchFromClient(client, resource, metav1.NamespaceAll, modify)
	return cache.NewSharedIndexInformerWithOptions(lw, example, cache.SharedIndexInformerOptions{ResyncPeriod: resync})
}

func withLabelSelector(selector string) func(*metav1.ListOptions) {
	return func(options *metav1.ListOptions) {
		options.LabelSelector = selector
	}
}

func allObjects(*metav1.ListOptions) {}
