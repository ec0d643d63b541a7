//go:build e2e

package clustere2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/test/netns"
)

// TestNodeDrainingFailsHealthz: as kube-proxy since KEP-3836, /healthz
// fails (nodeEligible false) while the agent's Node carries the cluster
// autoscaler's ToBeDeletedByClusterAutoscaler taint or is being deleted,
// so load balancers drain the node first; /livez stays OK (the agent must
// not be restarted for it).
func TestNodeDrainingFailsHealthz(t *testing.T) {
	c := newCluster(t, 1)
	nd := c.nodes[0]
	nodes := c.admin.CoreV1().Nodes()
	ctx := context.Background()

	patch := func(p string) {
		t.Helper()
		if _, err := nodes.Patch(ctx, nd.name, types.MergePatchType, []byte(p), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	patch(`{"spec":{"taints":[{"key":"ToBeDeletedByClusterAutoscaler","value":"1700000000","effect":"NoSchedule"}]}}`)
	expectHealth(t, nd, http.StatusServiceUnavailable, false)
	patch(`{"spec":{"taints":null}}`)
	expectHealth(t, nd, http.StatusOK, true)

	// A finalizer keeps the deleted Node around with its deletionTimestamp,
	// as a cloud controller's would while the instance goes.
	patch(`{"metadata":{"finalizers":["nnt.test/hold"]}}`)
	t.Cleanup(func() {
		_, _ = nodes.Patch(ctx, nd.name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
	})
	if err := nodes.Delete(ctx, nd.name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expectHealth(t, nd, http.StatusServiceUnavailable, false)
}

// expectHealth polls /healthz until it answers code with nodeEligible
// eligible, then checks that /livez is 200.
func expectHealth(t *testing.T, nd *node, code int, eligible bool) {
	t.Helper()
	netns.Eventually(t, 10*time.Second, fmt.Sprintf("/healthz %d, nodeEligible %v", code, eligible), func() error {
		got, body, err := nd.healthz("/healthz")
		if err != nil {
			return err
		}
		var status struct {
			NodeEligible bool `json:"nodeEligible"`
		}
		if err := json.Unmarshal([]byte(body), &status); err != nil {
			return fmt.Errorf("%d %q: %w", got, body, err)
		}
		if got != code || status.NodeEligible != eligible {
			return fmt.Errorf("%d %s", got, body)
		}
		return nil
	})
	if got, body, err := nd.healthz("/livez"); err != nil || got != http.StatusOK {
		t.Errorf("/livez %d %s %v, want 200 whatever the Node's state", got, body, err)
	}
}
