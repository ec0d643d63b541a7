package nftables

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/proxy"
)

// recorder is knftables' fake that keeps each transaction's text, so
// tests can see what one sync sent.
type recorder struct {
	*knftables.Fake
	txs []string
	// failWhen, when set, fails the transactions it returns true for
	// (their text), as the kernel would refuse them: nothing is applied.
	failWhen func(tx string) bool
}

func (r *recorder) Run(ctx context.Context, tx *knftables.Transaction) error {
	text := tx.String()
	r.txs = append(r.txs, text)
	if r.failWhen != nil && r.failWhen(text) {
		return errors.New("injected transaction failure")
	}
	return r.Fake.Run(ctx, tx)
}

// last is the last transaction but the stale deletion that may follow it.
func (r *recorder) last() string { return r.txs[len(r.txs)-1] }

func newRecorder(f family) *recorder {
	return &recorder{Fake: knftables.NewFake(f.nft, TableName)}
}

var testOptions = Options{Family: v1.IPv4Protocol, MasqueradeBit: 14,
	ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")},
	ServiceCIDRs: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")}}

func newTestBackend(t *testing.T, opts Options, nft knftables.Interface) *Backend {
	t.Helper()
	b, err := NewWithInterface(opts, nft)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// synced returns a backend over a recording fake after one full sync of table.
func synced(t *testing.T, table *proxy.Table) (*Backend, *recorder) {
	t.Helper()
	r := newRecorder(familyV4)
	b := newTestBackend(t, testOptions, r)
	if err := b.Sync(table, nil, true); err != nil {
		t.Fatal(err)
	}
	return b, r
}

func svcName(name string) proxy.ServicePortName {
	return portName("default", name, "http", v1.ProtocolTCP)
}

func portName(ns, name, port string, proto v1.Protocol) proxy.ServicePortName {
	return proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}, Port: port, Protocol: proto}
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func readyEndpoints(aps ...string) []proxy.Endpoint {
	out := make([]proxy.Endpoint, len(aps))
	for i, s := range aps {
		ap := netip.MustParseAddrPort(s)
		out[i] = proxy.Endpoint{Addr: ap.Addr(), Port: int32(ap.Port()), Ready: true, Serving: true}
	}
	return out
}

// webTable: default/web, a NodePort Service with two endpoints.
func webTable() *proxy.Table {
	t := proxy.NewTable()
	web := svcName("web")
	t.Services[web] = &proxy.ServicePort{Name: web, ClusterIPs: []netip.Addr{addr("10.96.0.10")}, Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080}
	t.Endpoints[web] = readyEndpoints("10.244.1.2:8080", "10.244.1.3:8080")
	return t
}

// goldenTable has one Service of each shape: NodePort, UDP ClusterIP,
// SCTP LoadBalancer with an external IP and source ranges, both traffic
// policies Local with and without a local endpoint, sticky, and one
// without endpoints.
func goldenTable() *proxy.Table {
	t := webTable()
	dns := portName("kube-system", "dns", "dns", v1.ProtocolUDP)
	t.Services[dns] = &proxy.ServicePort{Name: dns, ClusterIPs: []netip.Addr{addr("10.96.0.53")}, Port: 53, Protocol: v1.ProtocolUDP}
	t.Endpoints[dns] = readyEndpoints("10.244.1.4:53")
	lb := portName("shop", "front", "sctp", v1.ProtocolSCTP)
	t.Services[lb] = &proxy.ServicePort{
		Name: lb, ClusterIPs: []netip.Addr{addr("10.96.1.20")}, Port: 9000, Protocol: v1.ProtocolSCTP, NodePort: 31000,
		ExternalIPs: []netip.Addr{addr("203.0.113.7")}, LoadBalancerIPs: []netip.Addr{addr("198.51.100.20")},
		LoadBalancerSourceRanges: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/64")},
	}
	t.Endpoints[lb] = readyEndpoints("10.244.1.5:9000", "10.244.1.6:9000", "10.244.1.7:9000")
	for i, name := range []string{"local", "remote"} {
		n := portName("shop", name, "http", v1.ProtocolTCP)
		t.Services[n] = &proxy.ServicePort{
			Name: n, ClusterIPs: []netip.Addr{addr("10.96.2." + itoa(30+i))}, Port: 80, Protocol: v1.ProtocolTCP, NodePort: int32(31100 + i),
			LoadBalancerIPs: []netip.Addr{addr("198.51.100." + itoa(30+i))}, ExternalPolicyLocal: true, InternalPolicyLocal: true,
		}
		eps := readyEndpoints("10.244.1."+itoa(8+2*i)+":80", "10.244.1."+itoa(9+2*i)+":80")
		eps[0].IsLocal = name == "local"
		t.Endpoints[n] = eps
	}
	sticky := portName("shop", "cart", "", v1.ProtocolTCP)
	t.Services[sticky] = &proxy.ServicePort{Name: sticky, ClusterIPs: []netip.Addr{addr("10.96.3.1")}, Port: 443, Protocol: v1.ProtocolTCP, StickyMaxAgeSeconds: 600}
	t.Endpoints[sticky] = readyEndpoints("10.244.1.12:8443", "10.244.1.13:8443")
	empty := portName("shop", "empty", "", v1.ProtocolTCP)
	t.Services[empty] = &proxy.ServicePort{Name: empty, ClusterIPs: []netip.Addr{addr("10.96.3.2")}, Port: 80, Protocol: v1.ProtocolTCP, NodePort: 31200}
	return t
}
