//go:build vmguest

package guest

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/proxymode"
	"github.com/nodenet/nodenet/test/netns"
)

// benchTable has n ClusterIP Services of 10 endpoints each on other nodes.
func benchTable(n int) *proxy.Table {
	t := proxy.NewTable()
	for i := range n {
		name := proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: "bench", Name: fmt.Sprintf("svc-%d", i)},
			Port: "http", Protocol: v1.ProtocolTCP}
		t.Services[name] = &proxy.ServicePort{Name: name, Protocol: v1.ProtocolTCP, Port: 80,
			ClusterIPs: []netip.Addr{netip.AddrFrom4([4]byte{10, byte(96 + i>>16), byte(i >> 8), byte(i)})}}
		var eps []proxy.Endpoint
		for e := range 10 {
			eps = append(eps, benchEndpoint(i, e, 0))
		}
		t.Endpoints[name] = eps
	}
	return t
}

func benchEndpoint(i, e, shift int) proxy.Endpoint {
	n := i*16 + e + shift
	return proxy.Endpoint{Addr: netip.AddrFrom4([4]byte{10, byte(128 + n>>16), byte(n >> 8), byte(n)}), Port: 8080,
		Ready: true, Serving: true, NodeName: fmt.Sprintf("node-%d", n%100)}
}

var benchBackends = map[string]func() (proxy.Backend, error){
	"ipvs": func() (proxy.Backend, error) {
		return ipvs.Mode{}.New(proxymode.Options{Family: v1.IPv4Protocol, MasqueradeBit: 14,
			ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.128.0.0/9")}})
	},
	"iptables": func() (proxy.Backend, error) {
		return iptables.Mode{}.New(proxymode.Options{Family: v1.IPv4Protocol, MasqueradeBit: 14,
			ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.128.0.0/9")}})
	},
}

// BenchmarkSyncInVM measures, inside the VM (emulated CPU: compare the
// backends with each other, not with figures from real hardware), a
// backend's full sync of n Services x 10 endpoints and its sync after one
// endpoint changed (mean of 5).
func BenchmarkSyncInVM(b *testing.B) {
	for _, mode := range []string{"iptables", "ipvs"} {
		for _, n := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("%s/%d", mode, n), func(b *testing.B) { benchSync(b, mode, n) })
		}
	}
}

func benchSync(b *testing.B, mode string, n int) {
	ns := netns.New(b, netns.UniquePrefix("b")+"-node")
	t := benchTable(n)
	var full, one time.Duration
	inNS(b, ns.Name, func() {
		be, err := benchBackends[mode]()
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := be.Sync(t, nil, true); err != nil {
			b.Fatal(err)
		}
		full = time.Since(start)
		name := proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: "bench", Name: "svc-0"},
			Port: "http", Protocol: v1.ProtocolTCP}
		const rounds = 5
		start = time.Now()
		for r := 1; r <= rounds; r++ {
			t.Endpoints[name][0] = benchEndpoint(0, 0, 20000+r)
			if err := be.Sync(t, sets.New(name), false); err != nil {
				b.Fatal(err)
			}
		}
		one = time.Since(start) / rounds
	})
	b.ReportMetric(full.Seconds(), "full-s")
	b.ReportMetric(float64(one.Microseconds())/1000, "one-endpoint-ms")
}
