package app

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/ipvs/ipvstest"
)

// ipvsDumpKernel holds a ClusterIP and a NodePort virtual server of
// default/web:http, an IPv6 ClusterIP of default/dns, and another
// program's virtual server; one real server has connections.
func ipvsDumpKernel(t *testing.T) *ipvstest.Kernel {
	k := ipvstest.NewKernel()
	add := func(addr string, port uint16, proto v1.Protocol, reals ...string) {
		key := ipvs.ServiceKey{Addr: netip.MustParseAddr(addr), Port: port, Protocol: proto}
		if err := k.AddVirtualServer(ipvs.VirtualServer{ServiceKey: key, Scheduler: "rr"}); err != nil {
			t.Fatal(err)
		}
		for _, r := range reals {
			ap := netip.MustParseAddrPort(r)
			if err := k.AddRealServer(key, ipvs.RealServer{Addr: ap.Addr(), Port: ap.Port(), Weight: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("10.96.0.10", 80, v1.ProtocolTCP, "10.244.1.11:8080", "10.244.1.10:8080")
	add("192.168.1.5", 30080, v1.ProtocolTCP, "10.244.1.10:8080")
	add("fd00:96::a", 53, v1.ProtocolUDP)
	add("192.168.1.5", 80, v1.ProtocolTCP) // not a Service's
	k.Conns[netip.MustParseAddrPort("10.244.1.10:8080")] = [2]int{2, 1}
	return k
}

func ipvsDumpAgent() serve.DumpView {
	return serve.DumpView{ServicePorts: []serve.ServicePortView{
		{Service: "default/web", PortName: "http", Protocol: "TCP", Port: 80, NodePort: 30080, ClusterIPs: []string{"10.96.0.10"}},
		{Service: "default/dns", Protocol: "UDP", Port: 53, ClusterIPs: []string{"fd00:96::a"}},
	}}
}

func TestIPVSViewLabelsServices(t *testing.T) {
	k := ipvsDumpKernel(t)
	var states []ipvs.VirtualServerState
	for _, fam := range []v1.IPFamily{v1.IPv4Protocol, v1.IPv6Protocol} {
		s, err := ipvs.List(k, fam)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, s...)
	}
	got := formatIPVS(newIPVSView(states, ipvsDumpAgent()), false)
	want := `TCP 10.96.0.10:80  rr  default/web:http  ClusterIP
  -> 10.244.1.10:8080  weight 1  active 2  inactive 1
  -> 10.244.1.11:8080  weight 1  active 0  inactive 0

TCP 192.168.1.5:30080  rr  default/web:http  NodePort
  -> 10.244.1.10:8080  weight 1  active 2  inactive 1

TCP 192.168.1.5:80  rr  -  -
  no real servers: connections are refused

UDP [fd00:96::a]:53  rr  default/dns  ClusterIP
  no real servers: connections are refused
`
	if got != want {
		t.Errorf("dump ipvs table:\n%s\nwant\n%s", got, want)
	}
}

func TestIPVSViewJSON(t *testing.T) {
	states, err := ipvs.List(ipvsDumpKernel(t), v1.IPv4Protocol)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := printView(&out, newIPVSView(states, ipvsDumpAgent()), outputJSON, formatIPVS); err != nil {
		t.Fatal(err)
	}
	var view ipvsView
	if err := json.Unmarshal(out.Bytes(), &view); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, out.String())
	}
	first := view.VirtualServers[0]
	if first.Service != "default/web:http" || first.Frontend != "ClusterIP" || first.RealServers[0].ActiveConns != 2 ||
		first.RealServers[0].InactiveConns != 1 || first.RealServers[0].Weight != 1 {
		t.Errorf("first virtual server in JSON: %+v", first)
	}
	if len(view.VirtualServers) != 3 {
		t.Errorf("IPv4 virtual servers in JSON: %d, want 3:\n%s", len(view.VirtualServers), out.String())
	}
}

// Without an agent the servers are still listed, unlabelled.
func TestIPVSViewWithoutAgent(t *testing.T) {
	states, err := ipvs.List(ipvsDumpKernel(t), v1.IPv4Protocol)
	if err != nil {
		t.Fatal(err)
	}
	view := newIPVSView(states, serve.DumpView{})
	for _, vs := range view.VirtualServers {
		if vs.Service != "" || vs.Frontend != "" {
			t.Errorf("%s labelled %q %q without an agent", vs.Address, vs.Service, vs.Frontend)
		}
	}
}
