//go:build e2e

package contract

import (
	"errors"
	"net/netip"
	"slices"
	"syscall"
	"testing"

	"github.com/nodenet/nodenet/podroutes"
	"github.com/nodenet/nodenet/podroutes/podroutestest"
	"github.com/nodenet/nodenet/test/netns"
)

// TestPodRoutesKernelContract runs the same route operations against
// podroutes.Netlink in a namespace and against podroutestest.Kernel, and
// compares what each lists and refuses: adds, a gateway change, a
// gateway on no connected subnet (ENETUNREACH), deletes (also of a route
// that is gone), and a route of another protocol that must stay unseen.
func TestPodRoutesKernelContract(t *testing.T) {
	ns, peer := newNS(t, "routes"), newNS(t, "peer")
	ns.Veth(t, "eth0", peer, "eth0")
	ns.AddAddr(t, "eth0", "192.0.2.1/24")
	ns.IP(t, "route", "add", "10.99.0.0/24", "via", "192.0.2.99") // another owner's (proto boot)

	real := nsRoutes{ns: ns.Name}
	fake := podroutestest.New(netip.MustParsePrefix("192.0.2.0/24"))
	r := func(dst, via string) podroutes.Route {
		return podroutes.Route{Dst: netip.MustParsePrefix(dst), Via: netip.MustParseAddr(via)}
	}
	steps := []struct {
		op string
		r  podroutes.Route
	}{
		{"replace", r("10.244.2.0/24", "192.0.2.2")},
		{"replace", r("10.244.3.0/24", "192.0.2.3")},
		{"replace", r("10.244.2.0/24", "192.0.2.22")},   // the Node's address changed
		{"replace", r("10.244.9.0/24", "198.51.100.9")}, // not on the segment
		{"delete", r("10.244.3.0/24", "192.0.2.3")},
		{"delete", r("10.244.3.0/24", "192.0.2.3")}, // gone already
	}
	for i, s := range steps {
		var errReal, errFake error
		if s.op == "replace" {
			errReal, errFake = real.Replace(s.r), fake.Replace(s.r)
		} else {
			errReal, errFake = real.Delete(s.r), fake.Delete(s.r)
		}
		if (errReal == nil) != (errFake == nil) || errors.Is(errReal, syscall.ENETUNREACH) != errors.Is(errFake, syscall.ENETUNREACH) {
			t.Fatalf("step %d %s %v: kernel says %v, fake says %v", i, s.op, s.r, errReal, errFake)
		}
		gotReal, err := real.Routes()
		if err != nil {
			t.Fatal(err)
		}
		gotFake, _ := fake.Routes()
		if !slices.Equal(sorted(gotReal), sorted(gotFake)) {
			t.Fatalf("step %d %s %v: kernel lists %v, fake %v", i, s.op, s.r, gotReal, gotFake)
		}
	}
}

// nsRoutes is podroutes.Netlink working in namespace ns.
type nsRoutes struct{ ns string }

func (k nsRoutes) Routes() (rs []podroutes.Route, err error) {
	err = netns.Within(k.ns, func() (e error) { rs, e = podroutes.Netlink{}.Routes(); return e })
	return rs, err
}

func (k nsRoutes) Replace(r podroutes.Route) error {
	return netns.Within(k.ns, func() error { return podroutes.Netlink{}.Replace(r) })
}

func (k nsRoutes) Delete(r podroutes.Route) error {
	return netns.Within(k.ns, func() error { return podroutes.Netlink{}.Delete(r) })
}

func sorted(rs []podroutes.Route) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Dst.String() + " via " + r.Via.String()
	}
	slices.Sort(out)
	return out
}
