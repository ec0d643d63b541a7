package iptables

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/proxy"
)

// BenchmarkFullSyncRender is the agent's side of a full sync at 10k
// Services × 10 endpoints (test/bench's shape: ClusterIP, TCP, endpoints
// on 100 nodes): plan, render and payload, against a kernel that only
// measures the payload. B/op is the garbage a full sync makes, which with
// the Go GC's headroom sets the agent's peak RSS; live-heap-MiB is what
// is live (table included) when iptables-restore would start, so what the
// agent holds while its child runs. Memory, not time, is what this watches:
//
//	go test -run '^$' -bench FullSyncRender -benchmem ./iptables/
func BenchmarkFullSyncRender(b *testing.B) {
	t := benchTable(10000, 10)
	k := &measuringKernel{}
	be, err := NewWithKernel(Options{Family: v1.IPv4Protocol, MasqueradeBit: 14, ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.128.0.0/9")}}, k)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := be.Sync(t, nil, true); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(k.payloadBytes)/(1<<20), "payload-MiB")
	b.ReportMetric(float64(k.live)/(1<<20), "live-heap-MiB")
}

// benchTable builds n ClusterIP Services with per endpoints each, spread
// over 100 nodes, as the proxy core's table holds them.
func benchTable(n, per int) *proxy.Table {
	t := proxy.NewTable()
	for i := 0; i < n; i++ {
		name := proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: "bench", Name: fmt.Sprintf("svc-%d", i)}, Port: "http", Protocol: v1.ProtocolTCP}
		t.Services[name] = &proxy.ServicePort{Name: name, ClusterIPs: []netip.Addr{netip.AddrFrom4([4]byte{10, byte(96 + i>>16), byte(i >> 8), byte(i)})}, Port: 80, Protocol: v1.ProtocolTCP}
		eps := make([]proxy.Endpoint, 0, per)
		for e := 0; e < per; e++ {
			k := i*16 + e
			eps = append(eps, proxy.Endpoint{Addr: netip.AddrFrom4([4]byte{10, byte(128 + k>>16), byte(k >> 8), byte(k)}), Port: 8080,
				Ready: true, Serving: true, NodeName: fmt.Sprintf("node-%d", (i*per+e)%100)})
		}
		t.Endpoints[name] = eps
	}
	return t
}

// measuringKernel stands for an empty kernel: it keeps nothing of what it
// is given, and notes the payload's size and the live heap at the moment
// iptables-restore would start.
type measuringKernel struct {
	payloadBytes int
	live         uint64
}

func (k *measuringKernel) Restore(payload []byte) error {
	k.payloadBytes = len(payload)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	k.live = max(k.live, ms.HeapAlloc)
	return nil
}

func (k *measuringKernel) ListRules(string, string) ([]string, error) { return nil, nil }
func (k *measuringKernel) ListChains(string) ([]string, error)        { return nil, nil }
func (k *measuringKernel) DeleteRule(string, string, ...string) error { return nil }
func (k *measuringKernel) Save(string) (string, error)                { return "", nil }
