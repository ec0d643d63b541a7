package ipvs_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/proxy"
)

func key(addrPort string, proto v1.Protocol) ipvs.ServiceKey {
	ap := netip.MustParseAddrPort(addrPort)
	return ipvs.ServiceKey{Addr: ap.Addr(), Port: ap.Port(), Protocol: proto}
}

// A restarted agent adopts the virtual servers it left: nothing is
// re-created (connections survive), a wanted real server a previous run
// left at weight 0 gets its weight back (kubernetes#92019), an unwanted
// one drains.
func TestRestartAdoptsWhatTheLastRunLeft(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	web := spn("ns", "web", v1.ProtocolTCP)
	w.service(web, proxy.ServicePort{ClusterIPs: addrs("10.96.0.10")}, "10.244.1.10", "10.244.1.11")
	w.sync(true)
	k := key("10.96.0.10:80", v1.ProtocolTCP)
	// The last run was stopped while 10.244.1.11 drained.
	if err := w.k.UpdateRealServer(k, ipvs.RealServer{Addr: netip.MustParseAddr("10.244.1.11"), Port: 8080}); err != nil {
		t.Fatal(err)
	}
	w.k.Conns[netip.MustParseAddrPort("10.244.1.10:8080")] = [2]int{1, 0} // a client still on it
	w.k.ResetCounts()
	w.open(ipvs.Config{})
	w.endpoints(web, "10.244.1.11", "10.244.1.12")
	w.sync(true)
	got := strings.Join(w.k.Ops, "\n")
	want := strings.Join([]string{
		"weight 10.96.0.10:80/TCP 10.244.1.11:8080 1",
		"add-real 10.96.0.10:80/TCP 10.244.1.12:8080 1",
		"weight 10.96.0.10:80/TCP 10.244.1.10:8080 0",
	}, "\n")
	if got != want {
		t.Errorf("ops after restart:\n%s\nwant:\n%s", got, want)
	}
}

// A removed TCP endpoint keeps weight 0 while it has connections, and is
// deleted once they end or the drain timeout passes; a UDP one goes at once.
func TestGracefulTermination(t *testing.T) {
	w := newWorld(t, ipvs.Config{DrainTimeout: time.Minute})
	tcp, udp := spn("ns", "web", v1.ProtocolTCP), spn("ns", "dns", v1.ProtocolUDP)
	w.service(tcp, proxy.ServicePort{ClusterIPs: addrs("10.96.0.10")}, "10.244.1.10", "10.244.1.11", "10.244.1.12")
	w.service(udp, proxy.ServicePort{ClusterIPs: addrs("10.96.0.53")}, "10.244.1.10", "10.244.1.11")
	w.sync(true)
	a, b := netip.MustParseAddrPort("10.244.1.10:8080"), netip.MustParseAddrPort("10.244.1.11:8080")
	w.k.Conns[a] = [2]int{1, 0}
	w.k.Conns[b] = [2]int{0, 2}
	w.endpoints(tcp, "10.244.1.12")
	w.endpoints(udp, "10.244.1.11")
	w.sync(false, tcp, udp)
	w.wantDump(`TCP 10.96.0.10:80 rr
  -> 10.244.1.10:8080 w0
  -> 10.244.1.11:8080 w0
  -> 10.244.1.12:8080 w1
UDP 10.96.0.53:80 rr
  -> 10.244.1.11:8080 w1`)
	w.k.Conns[b] = [2]int{0, 0}
	w.sync(false)
	w.wantDump(`TCP 10.96.0.10:80 rr
  -> 10.244.1.10:8080 w0
  -> 10.244.1.12:8080 w1
UDP 10.96.0.53:80 rr
  -> 10.244.1.11:8080 w1`)
	w.clock.SetTime(w.clock.Now().Add(time.Minute))
	w.sync(false)
	w.wantDump(`TCP 10.96.0.10:80 rr
  -> 10.244.1.12:8080 w1
UDP 10.96.0.53:80 rr
  -> 10.244.1.11:8080 w1`)
}

// An endpoint that comes back while draining gets its weight back.
func TestDrainingEndpointComesBack(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	web := spn("ns", "web", v1.ProtocolTCP)
	w.service(web, proxy.ServicePort{ClusterIPs: addrs("10.96.0.10")}, "10.244.1.10")
	w.sync(true)
	w.k.Conns[netip.MustParseAddrPort("10.244.1.10:8080")] = [2]int{1, 0}
	w.endpoints(web)
	w.sync(false, web)
	w.endpoints(web, "10.244.1.10")
	w.sync(false, web)
	w.wantDump(`TCP 10.96.0.10:80 rr
  -> 10.244.1.10:8080 w1`)
}

func TestControlPlaneFirst(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	w.service(spn("aaa", "app", v1.ProtocolTCP), proxy.ServicePort{ClusterIPs: addrs("10.96.0.20")}, "10.244.1.10")
	w.service(spn("kube-system", "kube-dns", v1.ProtocolUDP), proxy.ServicePort{ClusterIPs: addrs("10.96.0.10")}, "10.244.1.11")
	w.service(spn("default", "kubernetes", v1.ProtocolTCP), proxy.ServicePort{ClusterIPs: addrs("10.96.0.1"), Port: 443}, "192.0.2.100")
	w.sync(true)
	var adds []string
	for _, op := range w.k.Ops {
		if strings.HasPrefix(op, "add ") {
			adds = append(adds, strings.TrimPrefix(op, "add "))
		}
	}
	if got, want := strings.Join(adds, " "), "10.96.0.1:443/TCP 10.96.0.10:80/UDP 10.96.0.20:80/TCP"; got != want {
		t.Errorf("first sync added %s, want %s", got, want)
	}
}

// Virtual servers that are not nodenet's (their address is neither bound
// to the dummy interface nor a node address with a NodePort-range port),
// and those in --ipvs-exclude-cidrs, are never removed; nodenet's stale
// ones are.
func TestForeignAndExcludedVirtualServersStay(t *testing.T) {
	w := newWorld(t, ipvs.Config{ExcludeCIDRs: []netip.Prefix{netip.MustParsePrefix("10.97.0.0/16")}})
	for _, vs := range []ipvs.ServiceKey{key("192.0.2.1:80", v1.ProtocolTCP), key("10.97.0.1:80", v1.ProtocolTCP),
		key("10.96.0.99:80", v1.ProtocolTCP), key("192.0.2.1:30999", v1.ProtocolTCP)} {
		if err := w.k.AddVirtualServer(ipvs.VirtualServer{ServiceKey: vs, Scheduler: "rr"}); err != nil {
			t.Fatal(err)
		}
	}
	_ = w.addrs.EnsureDummy()
	for _, a := range addrs("10.97.0.1", "10.96.0.99") {
		_ = w.addrs.Bind(a)
	}
	w.service(spn("ns", "x", v1.ProtocolTCP), proxy.ServicePort{ClusterIPs: addrs("10.97.0.2", "10.96.0.2")}, "10.244.1.10")
	w.sync(true)
	w.wantDump(`TCP 10.96.0.2:80 rr
  -> 10.244.1.10:8080 w1
TCP 10.97.0.1:80 rr
TCP 192.0.2.1:80 rr`)
	bound, _ := w.addrs.Bound()
	if got := addrs("10.96.0.2", "10.97.0.1"); !equalAddrs(bound, got) {
		t.Errorf("bound %v, want %v", bound, got)
	}
}

func equalAddrs(a, b []netip.Addr) bool {
	return len(a) == len(b) && strings.Join(strs(a), ",") == strings.Join(strs(b), ",")
}

func strs(a []netip.Addr) []string {
	var out []string
	for _, x := range a {
		out = append(out, x.String())
	}
	return out
}

func TestSysctlsAndTimeouts(t *testing.T) {
	w := newWorld(t, ipvs.Config{StrictARP: true, TCPTimeout: time.Hour, UDPTimeout: time.Minute})
	for k, v := range map[string]string{"net.ipv4.vs.conntrack": "1", "net.ipv4.vs.expire_nodest_conn": "1",
		"net.ipv4.vs.expire_quiescent_template": "1", "net.ipv4.ip_forward": "1",
		"net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2"} {
		if got := w.sysctls.Values[k]; got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if w.k.Timeouts != [3]time.Duration{time.Hour, 0, time.Minute} {
		t.Errorf("timeouts %v", w.k.Timeouts)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (&ipvs.Config{Scheduler: "fastest"}).Validate(); err == nil {
		t.Error("an unknown scheduler was accepted")
	}
	if err := (&ipvs.Config{Scheduler: "mh"}).Validate(); err != nil {
		t.Error(err)
	}
}
