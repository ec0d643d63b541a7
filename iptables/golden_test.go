package iptables

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/internal/golden"
	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/proxy"
)

// goldenTable has one Service of each kind nodenet programs, over TCP, UDP
// and SCTP, so every rule shape appears in the golden payloads.
func goldenTable() *proxy.Table {
	t := webTable()
	dns := proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: "kube-system", Name: "dns"}, Port: "dns", Protocol: v1.ProtocolUDP}
	t.Services[dns] = &proxy.ServicePort{Name: dns, ClusterIPs: []netip.Addr{addr("10.96.0.10")}, Port: 53, Protocol: v1.ProtocolUDP}
	t.Endpoints[dns] = readyEndpoints("10.244.1.4:53")
	lb := proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: "shop", Name: "front"}, Port: "sctp", Protocol: v1.ProtocolSCTP}
	t.Services[lb] = &proxy.ServicePort{
		Name: lb, ClusterIPs: []netip.Addr{addr("10.96.1.20")}, Port: 9000, Protocol: v1.ProtocolSCTP, NodePort: 31000,
		ExternalIPs: []netip.Addr{addr("203.0.113.7")}, LoadBalancerIPs: []netip.Addr{addr("198.51.100.20")},
	}
	t.Endpoints[lb] = readyEndpoints("10.244.1.5:9000", "10.244.1.6:9000", "10.244.1.7:9000")
	addPolicyServices(t)
	return t
}

// addPolicyServices adds shop/local (both traffic policies Local, one
// local and one remote endpoint) and shop/remote (the same, with only a
// remote endpoint: its traffic is dropped).
func addPolicyServices(t *proxy.Table) {
	for i, name := range []string{"local", "remote"} {
		n := proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: "shop", Name: name}, Port: "http", Protocol: v1.ProtocolTCP}
		t.Services[n] = &proxy.ServicePort{
			Name: n, ClusterIPs: []netip.Addr{addr("10.96.2." + itoa(30+i))}, Port: 80, Protocol: v1.ProtocolTCP, NodePort: int32(31100 + i),
			LoadBalancerIPs: []netip.Addr{addr("198.51.100." + itoa(30+i))}, ExternalPolicyLocal: true, InternalPolicyLocal: true,
		}
		eps := readyEndpoints("10.244.1."+itoa(8+2*i)+":80", "10.244.1."+itoa(9+2*i)+":80")
		eps[0].IsLocal = name == "local"
		t.Endpoints[n] = eps
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

func TestGoldenFullSyncPayload(t *testing.T) {
	_, f := syncedFake(t, goldenTable())
	checkGolden(t, "full-sync.golden", f.LastPayload())
}

func TestGoldenPartialSyncPayload(t *testing.T) {
	table := goldenTable()
	b, f := syncedFake(t, table)
	web := svcName("web")
	table.Endpoints[web] = readyEndpoints("10.244.1.3:8080")
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "partial-sync.golden", f.LastPayload())
}

func TestGoldenIPv6FullSyncPayload(t *testing.T) {
	f := iptablestest.NewFakeKernel(v1.IPv6Protocol)
	b, err := NewWithKernel(Options{Family: v1.IPv6Protocol, MasqueradeBit: 14, ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("fd00:10:244::/56")}}, f)
	if err != nil {
		t.Fatal(err)
	}
	table := proxy.NewTable()
	web := svcName("web")
	table.Services[web] = &proxy.ServicePort{Name: web, ClusterIPs: []netip.Addr{addr("fd00:10:96::a")}, Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080}
	table.Endpoints[web] = readyEndpoints("[fd00:10:244:1::2]:8080")
	if err := b.Sync(table, nil, true); err != nil {
		t.Fatalf("%v\n%s", err, f.LastPayload())
	}
	checkGolden(t, "full-sync-ipv6.golden", f.LastPayload())
}

// TestOneEndpointChangeRewritesOneShard is the incremental-sync promise:
// whatever the number of Services, an endpoint change writes the chain of
// the one shard it lives in, and nothing else.
func TestOneEndpointChangeRewritesOneShard(t *testing.T) {
	table := proxy.NewTable()
	for i := 0; i < 2000; i++ {
		n := svcName("svc-" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + itoa(i))
		table.Services[n] = &proxy.ServicePort{Name: n, ClusterIPs: []netip.Addr{netip.AddrFrom4([4]byte{10, 96, byte(i >> 8), byte(i)})}, Port: 80, Protocol: v1.ProtocolTCP}
		table.Endpoints[n] = readyEndpoints("10.244.1.2:8080", "10.244.1.3:8080")
	}
	b, f := syncedFake(t, table)
	var changed proxy.ServicePortName
	for n, sp := range table.Services {
		if sp.ClusterIPs[0] == netip.AddrFrom4([4]byte{10, 96, 1, 7}) {
			changed = n
		}
	}
	table.Endpoints[changed] = readyEndpoints("10.244.1.9:8080")
	if err := b.Sync(table, sets.New(changed), false); err != nil {
		t.Fatal(err)
	}
	payload := f.LastPayload()
	declared := declaredChains(payload)
	if len(declared) != 1 || declared[0] != "NODENET-SVC-07" {
		t.Fatalf("declared chains %v, want only NODENET-SVC-07\n%s", declared, payload)
	}
	// 2000 Services over 256 shards: shard 07 holds 8 of them.
	if got := strings.Count(payload, "-j DNAT"); got != 8*2-1 {
		t.Errorf("payload has %d DNAT rules, want 15 (the shard's Services only)", got)
	}
	got, err := f.Trace(iptablestest.TCPPacket("10.244.2.5", "10.96.1.7", 80, iptablestest.FromOutside))
	if err != nil || len(got) != 1 || got[0].DNAT != ap("10.244.1.9:8080") {
		t.Fatalf("trace after change = %v, %v", got, err)
	}
}

func TestFailedApplyMakesNextSyncFullAndRepairs(t *testing.T) {
	table := goldenTable()
	b, f := syncedFake(t, table)
	web := svcName("web")
	table.Endpoints[web] = readyEndpoints("10.244.1.3:8080")
	f.FailNextRestore(os.ErrDeadlineExceeded)
	if err := b.Sync(table, sets.New(web), false); err == nil {
		t.Fatal("a failed restore must be reported")
	}
	// The proxier asks for a full sync after a failure; even if it did
	// not, the backend knows the kernel state is unknown.
	if err := b.Sync(table, sets.New[proxy.ServicePortName](), false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.LastPayload(), ":"+natPostrouting) {
		t.Fatalf("sync after a failure was not full:\n%s", f.LastPayload())
	}
	got, err := f.Trace(iptablestest.TCPPacket("10.244.2.5", "10.96.0.10", 80, iptablestest.FromOutside))
	if err != nil || len(got) != 1 || got[0].DNAT != ap("10.244.1.3:8080") {
		t.Fatalf("trace after repair = %v, %v", got, err)
	}
}

// TestRestartRemovesLeftoverChains: a new agent (new backend, same kernel)
// whose table lacks a Service must delete that Service's shard chain.
func TestRestartRemovesLeftoverChains(t *testing.T) {
	_, f := syncedFake(t, goldenTable())
	b2, err := NewWithKernel(Options{Family: v1.IPv4Protocol, MasqueradeBit: 14}, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.Sync(webTable(), nil, true); err != nil {
		t.Fatalf("%v\n%s", err, f.LastPayload())
	}
	dump := f.Dump()
	for _, gone := range []string{"NODENET-SVC-14", "NODENET-NP-07A8", "NODENET-SVC-07"} {
		if strings.Contains(dump, gone) {
			t.Errorf("leftover chain %s still present:\n%s", gone, dump)
		}
	}
	if n := strings.Count(dump, "-j NODENET-SERVICES"); n != 5 {
		t.Errorf("%d hook rules to NODENET-SERVICES after restart, want 5 (no duplicates)\n%s", n, dump)
	}
}

func declaredChains(payload string) []string {
	var out []string
	for _, l := range strings.Split(payload, "\n") {
		if strings.HasPrefix(l, ":") {
			out = append(out, strings.Fields(l[1:])[0])
		}
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestGoldenAffinityPayload(t *testing.T) {
	table := webTable()
	table.Services[svcName("web")].StickyMaxAgeSeconds = 10800
	_, f := syncedFake(t, table)
	checkGolden(t, "affinity.golden", f.LastPayload())
}
