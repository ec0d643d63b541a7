//go:build e2e

package contract

import (
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/proxy"
)

func backendOn(t *testing.T, fam v1.IPFamily, k iptables.Kernel) *iptables.Backend {
	t.Helper()
	b, err := iptables.NewWithKernel(iptables.Options{Family: fam, MasqueradeBit: 14,
		ClusterCIDRs: []netip.Prefix{prefix("10.244.0.0/16"), prefix("fd00:244::/48")}}, k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBackendPayloadsKernelVsFake runs the backend's real syncs (full,
// partial, after a restart, cleanup) on the kernel of a namespace and on
// the fake at once, and compares every answer and, after each step, both
// tables as iptables-save prints them.
func TestBackendPayloadsKernelVsFake(t *testing.T) {
	eachVariant(t, func(t *testing.T, _ variant) {
		for _, fam := range []v1.IPFamily{v1.IPv4Protocol, v1.IPv6Protocol} {
			t.Run(string(fam), func(t *testing.T) { backendSyncs(t, fam) })
		}
	})
}

func backendSyncs(t *testing.T, fam v1.IPFamily) {
	w := newTwin(t, fam)
	table := representativeTable()
	b := backendOn(t, fam, w)
	sync := func(step string, changed ...proxy.ServicePortName) {
		t.Helper()
		if err := b.Sync(table, sets.New(changed...), changed == nil); err != nil {
			t.Fatalf("%s: %v\npayload:\n%s", step, err, w.fake.LastPayload())
		}
		w.sameState(step)
	}
	sync("full sync")

	// The local endpoint leaves (hairpin rule goes), the empty
	// Service gets one (REJECT goes), affinity is switched off.
	table.Endpoints[svcWeb] = table.Endpoints[svcWeb][1:]
	table.Endpoints[svcEmpty] = endpoints(0, "10.244.2.13", "fd00:244:2::d")
	sticky := *table.Services[svcSticky]
	sticky.StickyMaxAgeSeconds = 0
	table.Services[svcSticky] = &sticky
	sync("partial sync", svcWeb, svcEmpty, svcSticky)

	// A Service goes, with its shard chains.
	delete(table.Services, svcSCTP)
	delete(table.Endpoints, svcSCTP)
	sync("Service deleted", svcSCTP)
	sync("full sync again")

	// A new agent on the same kernel reads it back and removes
	// the chains of the Services it does not have.
	b = backendOn(t, fam, w)
	table = proxy.NewTable()
	web := representativeTable()
	table.Services[svcWeb], table.Endpoints[svcWeb] = web.Services[svcWeb], web.Endpoints[svcWeb]
	sync("restart with one Service")

	if err := iptables.CleanupKernel(w); err != nil {
		t.Fatalf("cleanup: %v", err)
	}
	w.sameState("cleanup")
}
