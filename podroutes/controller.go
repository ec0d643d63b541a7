package podroutes

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/internal/runner"
)

// Controller keeps this node's routes to the other Nodes' pod CIDRs.
type Controller struct {
	self   string
	kernel Kernel
	runner *runner.Runner

	mu     sync.Mutex
	nodes  map[string]*v1.Node
	synced bool // the initial Node list arrived: until then a sync would delete good routes
}

// New returns a controller for the node named self. minSync and maxSync
// are the agent's sync periods: the periodic sync restores a route
// someone deleted.
func New(self string, kernel Kernel, minSync, maxSync time.Duration) *Controller {
	c := &Controller{self: self, kernel: kernel, nodes: map[string]*v1.Node{}}
	c.runner = runner.New(c.sync, minSync, maxSync)
	return c
}

// Run syncs until ctx is done.
func (c *Controller) Run(ctx context.Context) { c.runner.Run(ctx) }

func (c *Controller) OnNodeAdd(n *v1.Node)       { c.set(n.Name, n) }
func (c *Controller) OnNodeUpdate(_, n *v1.Node) { c.set(n.Name, n) }
func (c *Controller) OnNodeDelete(n *v1.Node)    { c.set(n.Name, nil) }

// OnNodeSynced allows syncs: the controller knows every Node.
func (c *Controller) OnNodeSynced() {
	c.mu.Lock()
	c.synced = true
	c.mu.Unlock()
	c.runner.Poke()
}

func (c *Controller) set(name string, n *v1.Node) {
	c.mu.Lock()
	if n == nil {
		delete(c.nodes, name)
	} else {
		c.nodes[name] = n
	}
	c.mu.Unlock()
	c.runner.Poke()
}

// Sync makes the kernel's routes the desired ones now (tests call it; the
// runner calls it otherwise).
func (c *Controller) Sync() error { return c.sync() }

func (c *Controller) sync() error {
	c.mu.Lock()
	if !c.synced {
		c.mu.Unlock()
		return nil
	}
	want := Desired(c.self, c.nodes)
	c.mu.Unlock()

	have, err := c.kernel.Routes()
	if err != nil {
		klog.ErrorS(err, "Cannot list pod routes")
		return err
	}
	var errs []error
	current := map[netip.Prefix]netip.Addr{}
	for _, r := range have {
		if via, ok := want[r.Dst]; !ok || via != r.Via {
			if err := c.kernel.Delete(r); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		current[r.Dst] = r.Via
	}
	for dst, via := range want {
		if current[dst] == via {
			continue
		}
		if err := c.kernel.Replace(Route{Dst: dst, Via: via}); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		// Typically a gateway not on any connected subnet: the nodes are
		// not on one L2 segment and need an overlay instead.
		klog.ErrorS(err, "Cannot program every pod route; retrying", "node", c.self)
		return fmt.Errorf("pod routes: %w", err)
	}
	return nil
}

// Watch delivers informer's Node events to c, runs the informer until ctx
// is done, and calls OnNodeSynced once the initial list is in. It returns
// once the informer has synced, or with ctx's error.
func (c *Controller) Watch(ctx context.Context, informer cache.SharedIndexInformer) error {
	reg, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.OnNodeAdd(obj.(*v1.Node)) },
		UpdateFunc: func(_, obj any) { c.OnNodeUpdate(nil, obj.(*v1.Node)) },
		DeleteFunc: func(obj any) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if n, ok := obj.(*v1.Node); ok {
				c.OnNodeDelete(n)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("watching Nodes for pod routes: %w", err)
	}
	go informer.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), reg.HasSynced) {
		return fmt.Errorf("Node list for pod routes did not sync: %w", context.Cause(ctx))
	}
	c.OnNodeSynced()
	return nil
}
