package source

import (
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
)

// NewNodesInformer watches every Node of the cluster, for the few
// consumers that need the other nodes (package podroutes, --pod-routes);
// the proxier's own informer watches only its Node. kube-proxy's
// system:node-proxier role may list and watch all Nodes.
func NewNodesInformer(c *Client, resync time.Duration) cache.SharedIndexInformer {
	return newInformer(c.core, "nodes", &v1.Node{}, resync, allObjects)
}
