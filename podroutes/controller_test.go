package podroutes_test

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/podroutes"
	"github.com/nodenet/nodenet/podroutes/podroutestest"
)

func node(name, podCIDR, ip string) *v1.Node {
	return &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       v1.NodeSpec{PodCIDRs: []string{podCIDR}},
		Status:     v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: ip}}},
	}
}

func newController() (*podroutes.Controller, *podroutestest.Kernel) {
	k := podroutestest.New(netip.MustParsePrefix("192.0.2.0/24"))
	return podroutes.New("a", k, time.Second, time.Minute), k
}

func mustSync(t *testing.T, c *podroutes.Controller) {
	t.Helper()
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
}

func TestRoutesFollowNodes(t *testing.T) {
	c, k := newController()
	c.OnNodeAdd(node("a", "10.244.1.0/24", "192.0.2.1"))
	c.OnNodeAdd(node("b", "10.244.2.0/24", "192.0.2.2"))
	mustSync(t, c)
	if got := k.Dump(); got != "" {
		t.Fatalf("routes before the initial Node list: %q, want none", got)
	}
	c.OnNodeSynced()
	mustSync(t, c)
	if got, want := k.Dump(), "10.244.2.0/24 via 192.0.2.2"; got != want {
		t.Fatalf("routes %q, want %q", got, want)
	}
	c.OnNodeUpdate(nil, node("b", "10.244.2.0/24", "192.0.2.22"))
	c.OnNodeAdd(node("c", "10.244.3.0/24", "192.0.2.3"))
	mustSync(t, c)
	if got, want := k.Dump(), "10.244.2.0/24 via 192.0.2.22\n10.244.3.0/24 via 192.0.2.3"; got != want {
		t.Fatalf("routes %q, want %q", got, want)
	}
	c.OnNodeDelete(node("b", "10.244.2.0/24", "192.0.2.22"))
	k.DeleteByHand(netip.MustParsePrefix("10.244.3.0/24"))
	mustSync(t, c)
	if got, want := k.Dump(), "10.244.3.0/24 via 192.0.2.3"; got != want {
		t.Fatalf("after Node b went and c's route was deleted by hand: %q, want %q", got, want)
	}
}

// TestUnreachableGatewayFailsTheSync: a Node outside the L2 segment (its
// InternalIP on no connected subnet) gets no route and the sync reports
// it (and is retried), while the other routes are programmed.
func TestUnreachableGatewayFailsTheSync(t *testing.T) {
	c, k := newController()
	c.OnNodeAdd(node("b", "10.244.2.0/24", "192.0.2.2"))
	c.OnNodeAdd(node("far", "10.244.9.0/24", "198.51.100.9"))
	c.OnNodeSynced()
	err := c.Sync()
	if !errors.Is(err, syscall.ENETUNREACH) {
		t.Fatalf("sync error %v, want ENETUNREACH", err)
	}
	if got, want := k.Dump(), "10.244.2.0/24 via 192.0.2.2"; got != want {
		t.Fatalf("routes %q, want %q", got, want)
	}
}
