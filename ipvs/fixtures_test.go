package ipvs_test

import (
	"net/netip"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/ipvs/ipvstest"
	"github.com/nodenet/nodenet/proxy"
)

// world is a backend over fakes, with a table to edit.
type world struct {
	t       *testing.T
	b       *ipvs.Backend
	k       *ipvstest.Kernel
	addrs   *ipvstest.Addrs
	sysctls *ipvstest.Sysctls
	rules   *ipvstest.Rules
	table   *proxy.Table
	clock   *clocktesting.FakePassiveClock
}

var nodeIPs = []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("10.0.0.5")}

func newWorld(t *testing.T, c ipvs.Config) *world {
	t.Helper()
	w := &world{t: t, k: ipvstest.NewKernel(), addrs: ipvstest.NewAddrs(), sysctls: ipvstest.NewSysctls(), rules: &ipvstest.Rules{},
		table: proxy.NewTable(), clock: clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	w.open(c)
	return w
}

// open starts a backend (again) over the world's kernel, as a restarted
// agent does.
func (w *world) open(c ipvs.Config) {
	w.t.Helper()
	if c.NodeAddrs == nil {
		c.NodeAddrs = func([]netip.Addr) ([]netip.Addr, error) { return nodeIPs, nil }
	}
	c.Clock = w.clock
	b, err := ipvs.NewBackend(c, w.k, w.addrs, w.sysctls, w.rules)
	if err != nil {
		w.t.Fatal(err)
	}
	w.b = b
}

func spn(ns, name string, proto v1.Protocol) proxy.ServicePortName {
	return proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}, Protocol: proto}
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

// service adds a service port with ready endpoints on port 8080.
func (w *world) service(name proxy.ServicePortName, sp proxy.ServicePort, eps ...string) {
	sp.Name, sp.Protocol = name, name.Protocol
	if sp.Port == 0 {
		sp.Port = 80
	}
	w.table.Services[name] = &sp
	w.endpoints(name, eps...)
}

func (w *world) endpoints(name proxy.ServicePortName, eps ...string) {
	var list []proxy.Endpoint
	for _, e := range eps {
		list = append(list, proxy.Endpoint{Addr: netip.MustParseAddr(e), Port: 8080, Ready: true, Serving: true})
	}
	w.table.Endpoints[name] = list
}

func (w *world) sync(full bool, changed ...proxy.ServicePortName) {
	w.t.Helper()
	if err := w.b.Sync(w.table, sets.New(changed...), full); err != nil {
		w.t.Fatalf("sync: %v", err)
	}
}

func (w *world) wantDump(want string) {
	w.t.Helper()
	if got := w.k.Dump(); got != want {
		w.t.Errorf("IPVS state:\n%s\nwant:\n%s", got, want)
	}
}
