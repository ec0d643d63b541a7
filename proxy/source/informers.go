package source

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/proxy"
)

// Label selectors copied from kube-proxy: a Service naming another
// service-proxy-name belongs to a different proxy, and headless Services
// have no virtual IP to program.
const (
	serviceSelector       = "!service.kubernetes.io/service-proxy-name"
	endpointSliceSelector = "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"
)

// RunInformers starts shared informers for every kind that h has a handler
// for (Services, EndpointSlices, and the Node named nodeName), then BLOCKS
// until every handler has received the initial list, and calls each
// handler's Synced callback exactly once. It returns nil once synced; the
// informers keep running until ctx is done. If ctx is done before the caches
// sync, it returns an error wrapping ctx.Err() and no Synced callback runs.
//
// resync is the informers' resync period (0 disables resync).
func RunInformers(ctx context.Context, client kubernetes.Interface, nodeName string, h proxy.Handlers, resync time.Duration) error {
	var sinks []*sink
	var synced []cache.InformerSynced
	for _, k := range kinds {
		s := k.bind(h, nodeName)
		if s == nil {
			continue
		}
		informer := k.newInformer(client, nodeName, resync)
		registration, err := informer.AddEventHandler(informerHandler(s))
		if err != nil {
			return fmt.Errorf("registering %s handler: %w", s.kind, err)
		}
		go informer.RunWithContext(ctx)
		sinks = append(sinks, s)
		// The registration, not the informer, reports synced only once this
		// handler has been given every object of the initial list.
		synced = append(synced, registration.HasSynced)
	}

	klog.InfoS("Waiting for informer caches to sync", "kinds", len(sinks))
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return fmt.Errorf("informer caches did not sync: %w", context.Cause(ctx))
	}
	for _, s := range sinks {
		s.synced()
	}
	klog.InfoS("Informer caches synced", "kinds", len(sinks))
	return nil
}

func informerHandler(s *sink) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    s.onAdd,
		UpdateFunc: s.onUpdate,
		DeleteFunc: func(obj any) { s.onDelete(unwrapTombstone(obj)) },
	}
}

// unwrapTombstone returns the last known object when the informer missed the
// delete event itself (watch gap) and only learned of it on relist.
func unwrapTombstone(obj any) any {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return tombstone.Obj
	}
	return obj
}

func newServiceInformer(client kubernetes.Interface, _ string, resync time.Duration) cache.SharedIndexInformer {
	return coreinformers.NewFilteredServiceInformer(client, metav1.NamespaceAll, resync, cache.Indexers{}, withLabelSelector(serviceSelector))
}

func newEndpointSliceInformer(client kubernetes.Interface, _ string, resync time.Duration) cache.SharedIndexInformer {
	return discoveryinformers.NewFilteredEndpointSliceInformer(client, metav1.NamespaceAll, resync, cache.Indexers{}, withLabelSelector(endpointSliceSelector))
}

// newNodeInformer lists only the agent's own Node, so the agent does not pay
// for every Node of a large cluster.
func newNodeInformer(client kubernetes.Interface, nodeName string, resync time.Duration) cache.SharedIndexInformer {
	selector := fields.OneTermEqualSelector(metav1.ObjectNameField, nodeName).String()
	return coreinformers.NewFilteredNodeInformer(client, resync, cache.Indexers{}, func(options *metav1.ListOptions) {
		options.FieldSelector = selector
	})
}

func withLabelSelector(selector string) func(*metav1.ListOptions) {
	return func(options *metav1.ListOptions) {
		options.LabelSelector = selector
	}
}
