package nftables

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/internal/golden"
	"github.com/nodenet/nodenet/nodeport"
	"github.com/nodenet/nodenet/proxy"
)

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

func TestGoldenFullSync(t *testing.T) {
	_, r := synced(t, goldenTable())
	checkGolden(t, "full-sync.golden", r.Dump())
}

func TestGoldenOneEndpointSync(t *testing.T) {
	table := goldenTable()
	b, r := synced(t, table)
	web := svcName("web")
	table.Endpoints[web] = readyEndpoints("10.244.1.3:8080")
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "one-endpoint-sync.golden", r.last())
}

func TestGoldenIPv6FullSync(t *testing.T) {
	r := newRecorder(familyV6)
	opts := Options{Family: v1.IPv6Protocol, MasqueradeBit: 14,
		ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("fd00:10:244::/56")},
		NodePorts:    nodeport.Addresses{CIDRs: []netip.Prefix{netip.MustParsePrefix("fd00:1::/64"), netip.MustParsePrefix("10.0.0.0/8")}}}
	b := newTestBackend(t, opts, r)
	table := goldenTable() // its IPv4 Services must leave no trace here
	web6 := portName("default", "web6", "http", v1.ProtocolTCP)
	table.Services[web6] = &proxy.ServicePort{Name: web6, ClusterIPs: []netip.Addr{addr("10.96.0.60"), addr("fd00:10:96::a")}, Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30081}
	eps := readyEndpoints("[fd00:10:244:1::2]:8080", "10.244.1.2:8080", "[fd00:10:244:1::3]:8080")
	eps[0].IsLocal = true
	table.Endpoints[web6] = eps
	if err := b.Sync(table, nil, true); err != nil {
		t.Fatal(err)
	}
	dump := r.Dump()
	if strings.Contains(dump, "10.") || strings.Contains(dump, "default/web/") {
		t.Errorf("IPv4 addresses or IPv4-only Services in the ip6 table:\n%s", dump)
	}
	checkGolden(t, "full-sync-ipv6.golden", dump)
}
