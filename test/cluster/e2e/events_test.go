//go:build e2e

package clustere2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/test/netns"
)

// testWarningEvents: an EndpointSlice the agents must skip (stored before
// validation would refuse it: an address that is not an IP) gets a
// Warning Event from each node, named by the node the agent runs as.
func testWarningEvents(t *testing.T, c *cluster) {
	ready := true
	bad := &discovery.EndpointSlice{
		TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta: metav1.ObjectMeta{Name: "bad-slice", Namespace: "web", UID: types.UID("0b5e7c1a-bad0-4bad-8bad-000000000001"),
			CreationTimestamp: metav1.Now(),
			Labels:            map[string]string{discovery.LabelServiceName: "to-b", discovery.LabelManagedBy: managedBy}},
		AddressType: discovery.AddressTypeIPv4,
		Endpoints:   []discovery.Endpoint{{Addresses: []string{"10.244.2.300"}, Conditions: discovery.EndpointConditions{Ready: &ready}}},
	}
	if err := c.cp.StoreRaw("endpointslices", "web", bad.Name, bad); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, nd := range c.nodes {
		want = append(want, nd.name)
	}
	netns.Eventually(t, 30*time.Second, "Warning Events on web/bad-slice from every node", func() error {
		list, err := c.admin.CoreV1().Events("web").List(context.Background(),
			metav1.ListOptions{FieldSelector: "involvedObject.name=bad-slice"})
		if err != nil {
			return err
		}
		var hosts []string
		for _, e := range list.Items {
			if e.Type == v1.EventTypeWarning && e.Reason == "InvalidEndpointSlice" && e.InvolvedObject.Kind == "EndpointSlice" {
				hosts = append(hosts, e.Source.Host)
			}
		}
		slices.Sort(hosts)
		if !slices.Equal(hosts, want) {
			return fmt.Errorf("InvalidEndpointSlice Events from %v, want one from each of %v (all events: %v)", hosts, want, list.Items)
		}
		return nil
	})
}
