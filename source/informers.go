package source

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// RunInformers starts shared informers for every kind that h has a handler
// for (Services, EndpointSlices, the Node named nodeName, Pods, Namespaces,
// NetworkPolicies), then BLOCKS until every handler has received the
// initial list. Each handler's Synced callback is called exactly once, when
// it has its initial list: the proxier's kinds together, the firewall's
// each on its own (see deliverSynced). It returns nil once all have
// synced; the informers keep running until ctx is done. If ctx is done
// before, it returns an error wrapping ctx.Err(), and only the kinds
// delivered by then got their Synced callback.
//
// resync is the informers' resync period (0 disables resync).
func RunInformers(ctx context.Context, client *Client, nodeName string, h Handlers, resync time.Duration) error {
	var sinks []*sink
	var synced []cache.InformerSynced
	var proxier []bool
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
		proxier = append(proxier, k.proxier)
		// The registration, not the informer, reports synced only once this
		// handler has been given every object of the initial list.
		synced = append(synced, registration.HasSynced)
	}

	klog.InfoS("Waiting for informer caches to sync", "kinds", len(sinks))
	if err := deliverSynced(ctx, sinks, synced, proxier); err != nil {
		return err
	}
	klog.InfoS("Informer caches synced", "kinds", len(sinks))
	return nil
}

// syncPollPeriod is how often deliverSynced checks the registrations, as
// cache.WaitForCacheSync does.
const syncPollPeriod = 100 * time.Millisecond

// deliverSynced calls each sink's Synced callback once its handler has the
// initial list (in table order among those found ready together), and
// returns once all have. The proxier's kinds (proxier[i]) are delivered
// together, once all of them synced; the others do not wait for any other
// kind: the proxier must not be held back by a Pod list that is slow (10k
// pods) or forbidden (a ClusterRole not updated yet), and the firewall
// waits for its own kinds.
func deliverSynced(ctx context.Context, sinks []*sink, synced []cache.InformerSynced, proxier []bool) error {
	delivered := make([]bool, len(sinks))
	remaining := len(sinks)
	err := wait.PollUntilContextCancel(ctx, syncPollPeriod, true, func(context.Context) (bool, error) {
		ready := readySinks(synced, proxier)
		for i, s := range sinks {
			if !delivered[i] && ready[i] {
				delivered[i] = true
				remaining--
				s.synced()
			}
		}
		return remaining == 0, nil
	})
	if err != nil {
		return fmt.Errorf("informer caches did not sync: %w", context.Cause(ctx))
	}
	return nil
}

// readySinks tells which sinks may get their Synced callback now: those
// synced, the proxier's only once all of the proxier's are.
func readySinks(synced []cache.InformerSynced, proxier []bool) []bool {
	ready := make([]bool, len(synced))
	proxierSynced := true
	for i, hasSynced := range synced {
		ready[i] = hasSynced()
		if proxier[i] && !ready[i] {
			proxierSynced = false
		}
	}
	for i := range ready {
		ready[i] = ready[i] && (!proxier[i] || proxierSynced)
	}
	return ready
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
