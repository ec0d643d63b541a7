package ipvs_test

import (
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/nodeport/nodeporttest"
	"github.com/nodenet/nodenet/proxy"
)

func TestCleanupRemovesOnlyOurs(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	w.service(spn("ns", "web", v1.ProtocolTCP), proxy.ServicePort{ClusterIPs: addrs("10.96.0.10", "fd00::10"), NodePort: 30080}, "10.244.1.10")
	w.sync(true)
	six := newWorld(t, ipvs.Config{Family: v1.IPv6Protocol})
	six.k, six.addrs = w.k, w.addrs
	six.open(ipvs.Config{Family: v1.IPv6Protocol})
	six.table = w.table
	six.sync(true)
	foreign := ipvs.VirtualServer{ServiceKey: key("192.0.2.1:80", v1.ProtocolTCP), Scheduler: "rr"}
	if err := w.k.AddVirtualServer(foreign); err != nil {
		t.Fatal(err)
	}
	local := nodeporttest.NewAddrs(nodeIPs...)
	if err := ipvs.CleanupKernel(v1.IPv4Protocol, w.k, w.addrs, w.rules, local); err != nil {
		t.Fatal(err)
	}
	w.wantDump("TCP 192.0.2.1:80 rr\nTCP [fd00::10]:80 rr")
	if !w.addrs.HasDummy() {
		t.Error("the dummy interface went while it still held the IPv6 ClusterIP")
	}
	if err := ipvs.CleanupKernel(v1.IPv6Protocol, w.k, w.addrs, w.rules, local); err != nil {
		t.Fatal(err)
	}
	w.wantDump("TCP 192.0.2.1:80 rr")
	if w.addrs.HasDummy() || w.rules.Spec != nil {
		t.Error("the dummy interface or the rules are still there")
	}
	if err := ipvs.CleanupKernel(v1.IPv4Protocol, w.k, w.addrs, w.rules, local); err != nil {
		t.Errorf("cleanup of nothing: %v", err)
	}
}

func TestSave(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	w.service(spn("ns", "web", v1.ProtocolUDP), proxy.ServicePort{ClusterIPs: addrs("10.96.0.10"), StickyMaxAgeSeconds: 30}, "10.244.1.11", "10.244.1.10")
	w.sync(true)
	got, err := ipvs.Save(w.k, v1.IPv4Protocol)
	if err != nil {
		t.Fatal(err)
	}
	want := `-A -u 10.96.0.10:80 -s rr -p 30
-a -u 10.96.0.10:80 -r 10.244.1.10:8080 -m -w 1
-a -u 10.96.0.10:80 -r 10.244.1.11:8080 -m -w 1
`
	if got != want {
		t.Errorf("save:\n%s\nwant:\n%s", got, want)
	}
}
