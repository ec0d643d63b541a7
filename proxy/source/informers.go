package source

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/proxy"
)

// RunInformers starts shared informers for every kind that h has a handler
// for (Services, EndpointSlices, the Node named nodeName, Pods, Namespaces,
// NetworkPolicies), then BLOCKS
// until every handler has received the initial list, and calls each
// handler's Synced callback exactly once. It returns nil once synced; the
// informers keep running until ctx is done. If ctx is done before the caches
// sync, it returns an error wrapping ctx.Err() and no Synced callback runs.
//
// resync is the informers' resync period (0 disables resync).
func RunInformers(ctx context.Context, client *Client, nodeName string, h proxy.Handlers, resync time.Duration) error {
	var sinks []*sink
	var synced []cache.InformerSynced
	for _, k := range kinds {
		s := k.bind(h, nodeName)
		if s == nil {
			continue
		}
		informer := k.newInformer(client, nodeName, resync)
		if k.transform != nil {
			if err := informer.SetTransform(k.transform); err != nil {
				return fmt.Errorf("setting %s transform: %w", s.kind, err)
			}
		}
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
