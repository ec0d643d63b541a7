package proxy

import (
	"net/netip"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func nodeWith(addrs ...v1.NodeAddress) *v1.Node {
	n := &v1.Node{}
	n.Status.Addresses = addrs
	return n
}

func internalIP(ip string) v1.NodeAddress {
	return v1.NodeAddress{Type: v1.NodeInternalIP, Address: ip}
}

func TestPrimaryIPs(t *testing.T) {
	n := nodeWith(
		v1.NodeAddress{Type: v1.NodeExternalIP, Address: "198.51.100.1"},
		internalIP("fd00::7"),
		internalIP("not-an-ip"),
		internalIP("192.0.2.1"),
		internalIP("192.0.2.2"),
		v1.NodeAddress{Type: v1.NodeHostName, Address: "node-a"},
	)
	want := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("fd00::7")}
	if got := PrimaryIPs(n); !slices.Equal(got, want) {
		t.Errorf("PrimaryIPs = %v, want %v", got, want)
	}
}

// syncedProxier has synced once with no Service at all.
func syncedProxier(t *testing.T) (*Proxier, *recordingBackend) {
	t.Helper()
	p, b := newTestProxier()
	h := p.Handlers()
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	mustSync(t, p)
	return p, b
}

// The Node's primary IPs reach the backend through the table only: a
// change calls the backend (partial: no Service port changed) with the new
// IPs in Table.Node; an update that keeps them calls nothing; a deleted
// Node keeps the last ones.
func TestPrimaryIPsReachBackendsThroughTheTable(t *testing.T) {
	p, b := syncedProxier(t)
	h := p.Handlers()
	a := nodeWith(internalIP("192.0.2.1"))
	h.Nodes.OnNodeAdd(a)
	mustSync(t, p)
	h.Nodes.OnNodeUpdate(a, nodeWith(internalIP("192.0.2.1")))
	mustSync(t, p)
	moved := nodeWith(internalIP("192.0.2.9"))
	h.Nodes.OnNodeUpdate(a, moved)
	mustSync(t, p)
	h.Nodes.OnNodeDelete(moved)
	mustSync(t, p)

	var got [][]netip.Addr
	for _, c := range b.calls[1:] {
		if c.full || c.changed.Len() != 0 || c.node.Name != "node-a" {
			t.Errorf("sync after a Node change = %+v, want a partial one with no changed port", c)
		}
		got = append(got, c.node.PrimaryIPs)
	}
	want := [][]netip.Addr{{netip.MustParseAddr("192.0.2.1")}, {netip.MustParseAddr("192.0.2.9")}}
	if !slices.EqualFunc(got, want, slices.Equal[[]netip.Addr]) {
		t.Errorf("primary IPs the backend saw = %v, want %v (changes only, none on delete)", got, want)
	}
	if !slices.Equal(p.Snapshot().Node.PrimaryIPs, want[1]) {
		t.Errorf("table after the Node's deletion holds %v, want the last IPs kept", p.Snapshot().Node.PrimaryIPs)
	}
}

// A Node change wakes the sync loop like any other change: /healthz sees
// it queued until the next sync.
func TestNodeChangeIsQueued(t *testing.T) {
	p, _ := syncedProxier(t)
	p.Handlers().Nodes.OnNodeAdd(nodeWith(internalIP("192.0.2.1")))
	if p.Health().QueuedSince.IsZero() {
		t.Error("a primary IP change was not queued for a sync")
	}
}

func TestHealthReportsADrainingNode(t *testing.T) {
	p, _ := newTestProxier()
	h := p.Handlers()
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-a"}}
	h.Nodes.OnNodeAdd(n)
	if p.Health().NodeDraining {
		t.Fatal("a plain Node is draining")
	}
	tainted := n.DeepCopy()
	tainted.Spec.Taints = []v1.Taint{{Key: ToBeDeletedTaint, Effect: v1.TaintEffectNoSchedule}}
	h.Nodes.OnNodeUpdate(n, tainted)
	if !p.Health().NodeDraining {
		t.Fatal("a Node with the autoscaler's taint is not draining")
	}
	h.Nodes.OnNodeUpdate(tainted, n)
	deleting := n.DeepCopy()
	now := metav1.Now()
	deleting.DeletionTimestamp = &now
	if p.Health().NodeDraining {
		t.Fatal("still draining once the taint is gone")
	}
	h.Nodes.OnNodeUpdate(n, deleting)
	if !p.Health().NodeDraining {
		t.Fatal("a Node being deleted is not draining")
	}
}
