package kubeproxyclean

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/ipvs/ipvstest"
	"github.com/nodenet/nodenet/nodeport/nodeporttest"
)

// fakeLinks keeps links and their addresses, and logs deletions in ops.
type fakeLinks struct {
	links map[string][]netip.Addr
	ops   *[]string
}

func (f *fakeLinks) LinkAddrs(name string) ([]netip.Addr, bool, error) {
	addrs, ok := f.links[name]
	return addrs, ok, nil
}

func (f *fakeLinks) DeleteLink(name string) error {
	if _, ok := f.links[name]; !ok {
		return fmt.Errorf("link %s: not found", name)
	}
	delete(f.links, name)
	*f.ops = append(*f.ops, "delete link "+name)
	return nil
}

// fakeIpsets keeps sets and their members; a set some iptables rule
// still uses (inUse) cannot be destroyed, as in the kernel.
type fakeIpsets struct {
	sets  map[string][]string
	inUse func(set string) bool
	ops   *[]string
}

func (f *fakeIpsets) Save() (string, error) {
	var b strings.Builder
	names := make([]string, 0, len(f.sets))
	for n := range f.sets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "create %s hash:ip family inet hashsize 1024 maxelem 65536\n", n)
		for _, m := range f.sets[n] {
			fmt.Fprintf(&b, "add %s %s\n", n, m)
		}
	}
	return b.String(), nil
}

func (f *fakeIpsets) Destroy(name string) error {
	if _, ok := f.sets[name]; !ok {
		return fmt.Errorf("set %s does not exist", name)
	}
	if f.inUse(name) {
		return fmt.Errorf("set %s is in use by a kernel component", name)
	}
	delete(f.sets, name)
	*f.ops = append(*f.ops, "destroy "+name)
	return nil
}

func key(ap string, proto v1.Protocol) ipvs.ServiceKey {
	a := netip.MustParseAddrPort(ap)
	return ipvs.ServiceKey{Addr: a.Addr(), Port: a.Port(), Protocol: proto}
}

var (
	node      = netip.MustParseAddr("10.0.0.5")
	clusterIP = netip.MustParseAddr("10.96.0.10")
	lbIP      = netip.MustParseAddr("192.0.2.200")
)

// ipvsNode is a node kube-proxy's IPVS mode ran on, beside another
// program's virtual servers, link and sets.
func ipvsNode(t *testing.T) (Surfaces, *ipvstest.Kernel, *fakeLinks, *fakeIpsets, *recordingIptables, *[]string) {
	t.Helper()
	k := ipvstest.NewKernel()
	for _, vs := range []ipvs.ServiceKey{
		key("10.96.0.10:80", v1.ProtocolTCP), key("10.96.0.10:53", v1.ProtocolUDP), // ClusterIP on kube-ipvs0
		key("192.0.2.200:80", v1.ProtocolTCP),                                        // load-balancer IP on kube-ipvs0
		key("10.0.0.5:30080", v1.ProtocolTCP), key("10.0.0.5:30053", v1.ProtocolUDP), // NodePorts
		key("10.0.0.5:8080", v1.ProtocolTCP),     // another program on the node address
		key("10.0.0.5:30081", v1.ProtocolTCP),    // NodePort range, but no NodePort of kube-proxy's
		key("10.0.0.5:30053", v1.ProtocolTCP),    // kube-proxy's UDP NodePort, but TCP
		key("203.0.113.9:30080", v1.ProtocolTCP), // NodePort's port on an address not the node's
		key("198.51.100.7:80", v1.ProtocolTCP),   // another program's address on its own dummy
		key("127.0.0.1:30080", v1.ProtocolTCP),   // kube-proxy makes none on loopback
	} {
		if err := k.AddVirtualServer(ipvs.VirtualServer{ServiceKey: vs, Scheduler: "rr"}); err != nil {
			t.Fatal(err)
		}
	}
	var ops []string
	links := &fakeLinks{links: map[string][]netip.Addr{dummyLink: {clusterIP, lbIP}, "nnt-other0": {netip.MustParseAddr("198.51.100.7")}}, ops: &ops}
	ipt := &recordingIptables{save: "*filter\n:INPUT ACCEPT [0:0]\n:KUBE-IPVS-FILTER - [0:0]\n-A INPUT -j KUBE-IPVS-FILTER\n-A KUBE-IPVS-FILTER -m set --match-set KUBE-IPVS-IPS dst -j REJECT\nCOMMIT\n"}
	ipsets := &fakeIpsets{sets: map[string][]string{
		"KUBE-NODE-PORT-TCP": {"30080"}, "KUBE-NODE-PORT-UDP": {"30053"}, "KUBE-IPVS-IPS": {"10.96.0.10", "192.0.2.200"},
		"KUBE-6-LOAD-BALANCER-SOURCE-CID": nil, "KUBE-SRC-ABCDEF": nil, "NNT-OTHER": {"30081"},
	}, inUse: func(set string) bool { return set == "KUBE-IPVS-IPS" && len(ipt.restored) == 0 }, ops: &ops}
	local := nodeporttest.NewAddrs(node, clusterIP, lbIP, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("198.51.100.7"))
	return Surfaces{Iptables: []Iptables{ipt}, IPVS: k, Links: links, Ipsets: ipsets, LocalAddrs: local}, k, links, ipsets, ipt, &ops
}

func TestCleanupRemovesKubeProxysIPVSOnly(t *testing.T) {
	s, k, links, ipsets, ipt, ops := ipvsNode(t)
	var out bytes.Buffer
	if err := CleanupWith(&out, s); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := strings.Join([]string{
		"TCP 10.0.0.5:30053 rr", "TCP 10.0.0.5:30081 rr", "TCP 10.0.0.5:8080 rr",
		"TCP 127.0.0.1:30080 rr", "TCP 198.51.100.7:80 rr", "TCP 203.0.113.9:30080 rr",
	}, "\n")
	if got := k.Dump(); got != want {
		t.Errorf("virtual servers left:\n%s\nwant:\n%s", got, want)
	}
	if _, ok := links.links[dummyLink]; ok || len(links.links) != 1 {
		t.Errorf("links left: %v, want nnt-other0 only", links.links)
	}
	var sets []string
	for n := range ipsets.sets {
		sets = append(sets, n)
	}
	sort.Strings(sets)
	if strings.Join(sets, ",") != "KUBE-SRC-ABCDEF,NNT-OTHER" {
		t.Errorf("sets left: %v, want kube-router's and another program's", sets)
	}
	if len(ipt.restored) != 1 {
		t.Errorf("iptables restores: %d, want 1 (the ipvs mode's chains)", len(ipt.restored))
	}
	if i := slices.Index(*ops, "delete link "+dummyLink); i != 0 {
		t.Errorf("operations %v: kube-ipvs0 should go first, before the sets", *ops)
	}
}

func TestCleanupIPVSTwiceChangesNothing(t *testing.T) {
	s, k, _, _, _, ops := ipvsNode(t)
	if err := CleanupWith(&bytes.Buffer{}, s); err != nil {
		t.Fatal(err)
	}
	before, n := k.Dump(), len(*ops)
	if err := CleanupWith(&bytes.Buffer{}, s); err != nil {
		t.Fatalf("second cleanup: %v", err)
	}
	if k.Dump() != before || len(*ops) != n {
		t.Errorf("the second cleanup changed something: %v", (*ops)[n:])
	}
}

func TestCleanupWithoutIPVSStillRemovesLinkAndSets(t *testing.T) {
	s, _, links, ipsets, _, _ := ipvsNode(t)
	s.IPVS = nil // a kernel without IPVS
	if err := CleanupWith(&bytes.Buffer{}, s); err != nil {
		t.Fatal(err)
	}
	if _, ok := links.links[dummyLink]; ok {
		t.Errorf("%s left", dummyLink)
	}
	if _, ok := ipsets.sets["KUBE-NODE-PORT-TCP"]; ok {
		t.Errorf("KUBE-NODE-PORT-TCP left")
	}
}

func TestIPv6SetNames(t *testing.T) {
	for set, want := range map[string]string{
		"KUBE-CLUSTER-IP":                "KUBE-6-CLUSTER-IP",
		"KUBE-LOAD-BALANCER-SOURCE-CIDR": "KUBE-6-LOAD-BALANCER-SOURCE-CID",
	} {
		if got := ipv6SetName(set); got != want {
			t.Errorf("ipv6SetName(%s) = %s, want %s", set, got, want)
		}
	}
}

func TestNodePortMember(t *testing.T) {
	for _, c := range []struct {
		set, member string
		want        protoPort
		ok          bool
	}{
		{"KUBE-NODE-PORT-TCP", "30080", protoPort{v1.ProtocolTCP, 30080}, true},
		{"KUBE-6-NODE-PORT-LOCAL-UDP", "30053", protoPort{v1.ProtocolUDP, 30053}, true},
		{"KUBE-NODE-PORT-SCTP-HASH", "10.0.0.5,sctp:30099", protoPort{v1.ProtocolSCTP, 30099}, true},
		{"KUBE-CLUSTER-IP", "10.96.0.10,tcp:80", protoPort{}, false},
	} {
		got, ok := nodePortMember(c.set, c.member)
		if got != c.want || ok != c.ok {
			t.Errorf("nodePortMember(%s, %s) = %v %v, want %v %v", c.set, c.member, got, ok, c.want, c.ok)
		}
	}
}
