package proxy

import (
	"net/netip"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func nodeWith(addrs ...v1.NodeAddress) *v1.Node {
	n := &v1.Node{}
	n.Status.Addresses = addrs
	return n
}

func TestPrimaryIPs(t *testing.T) {
	n := nodeWith(
		v1.NodeAddress{Type: v1.NodeExternalIP, Address: "198.51.100.1"},
		v1.NodeAddress{Type: v1.NodeInternalIP, Address: "fd00::7"},
		v1.NodeAddress{Type: v1.NodeInternalIP, Address: "not-an-ip"},
		v1.NodeAddress{Type: v1.NodeInternalIP, Address: "192.0.2.1"},
		v1.NodeAddress{Type: v1.NodeInternalIP, Address: "192.0.2.2"},
		v1.NodeAddress{Type: v1.NodeHostName, Address: "node-a"},
	)
	want := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("fd00::7")}
	if got := PrimaryIPs(n); !slices.Equal(got, want) {
		t.Errorf("PrimaryIPs = %v, want %v", got, want)
	}
}

func TestPrimaryNodeIPsReportsChangesOnly(t *testing.T) {
	var calls [][]netip.Addr
	h := &PrimaryNodeIPs{OnChange: func(ips []netip.Addr) { calls = append(calls, ips) }}
	a := nodeWith(v1.NodeAddress{Type: v1.NodeInternalIP, Address: "192.0.2.1"})
	b := nodeWith(v1.NodeAddress{Type: v1.NodeInternalIP, Address: "192.0.2.9"})
	h.OnNodeAdd(a)
	h.OnNodeUpdate(a, a)
	h.OnNodeUpdate(a, b)
	h.OnNodeDelete(b)
	h.OnNodeSynced()
	if len(calls) != 2 || calls[1][0] != netip.MustParseAddr("192.0.2.9") {
		t.Errorf("OnChange calls = %v, want the first IPs and the change only", calls)
	}
}

// RequestFullSync makes the next sync full even when nothing changed.
func TestRequestFullSync(t *testing.T) {
	p, b := newTestProxier()
	h := p.Handlers()
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	for range 2 { // the first sync is full anyway, the second has nothing to do
		if err := p.sync(); err != nil {
			t.Fatal(err)
		}
	}
	p.RequestFullSync()
	if err := p.sync(); err != nil {
		t.Fatal(err)
	}
	if n := len(b.calls); n != 2 || !b.calls[1].full {
		t.Errorf("syncs = %+v, want the first and a full one after RequestFullSync", b.calls)
	}
}
