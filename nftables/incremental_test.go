package nftables

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/nodeport"
	"github.com/nodenet/nodenet/proxy"
)

// TestOneEndpointChangeIsElementsOnly is the incremental promise: among
// 2000 Services, replacing one endpoint is one transaction that changes
// that endpoint's element in the Service's endpoint map, no rule (a rule
// with a dnat makes the kernel re-validate the whole table); a change of
// the endpoint count rewrites that Service's chain only.
func TestOneEndpointChangeIsElementsOnly(t *testing.T) {
	table := proxy.NewTable()
	var changed proxy.ServicePortName
	for i := 0; i < 2000; i++ {
		n := svcName("svc-" + itoa(i))
		table.Services[n] = &proxy.ServicePort{Name: n, ClusterIPs: []netip.Addr{netip.AddrFrom4([4]byte{10, 96, byte(i >> 8), byte(i)})}, Port: 80, Protocol: v1.ProtocolTCP}
		table.Endpoints[n] = readyEndpoints("10.244.1.2:8080", "10.244.1.3:8080")
		if i == 1234 {
			changed = n
		}
	}
	b, r := synced(t, table)
	before := len(r.txs)
	table.Endpoints[changed] = readyEndpoints("10.244.1.2:8080", "10.244.1.9:8080")
	if err := b.Sync(table, sets.New(changed), false); err != nil {
		t.Fatal(err)
	}
	if len(r.txs) != before+1 {
		t.Fatalf("%d transactions, want 1", len(r.txs)-before)
	}
	shard := endpointMap(changed)
	want := []string{"delete element ip nodenet " + shard + " { ", "add element ip nodenet " + shard + " { "}
	lines := strings.Split(strings.TrimSpace(r.last()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], want[0]) || !strings.HasPrefix(lines[1], want[1]) || !strings.HasSuffix(lines[1], " : 10.244.1.9 . 8080 }") {
		t.Errorf("transaction is not one element replaced in %s:\n%s", shard, r.last())
	}

	table.Endpoints[changed] = readyEndpoints("10.244.1.2:8080", "10.244.1.9:8080", "10.244.1.10:8080")
	if err := b.Sync(table, sets.New(changed), false); err != nil {
		t.Fatal(err)
	}
	chain := serviceObject(prefixService, changed)
	for _, l := range strings.Split(strings.TrimSpace(r.last()), "\n") {
		if !strings.Contains(l, " "+chain) && !strings.Contains(l, " "+shard+" ") {
			t.Errorf("line outside %s and %s: %s", chain, shard, l)
		}
	}
	got, err := trace(r.Fake, familyV4, packet{src: addr("10.244.2.5"), dst: table.Services[changed].ClusterIPs[0], proto: "tcp", dport: 80})
	if err != nil || len(got.targets) != 3 || got.targets[2] != netip.MustParseAddrPort("10.244.1.10:8080") {
		t.Errorf("trace after the change = %v, %v; want the three endpoints", got.targets, err)
	}
}

// TestRemovedServiceChainsGoInALaterTransaction: the transaction that
// removes a Service's map elements only flushes its chains; a second one
// deletes them, and nothing of the Service is left.
func TestRemovedServiceChainsGoInALaterTransaction(t *testing.T) {
	table := goldenTable()
	b, r := synced(t, table)
	web := svcName("web")
	delete(table.Services, web)
	delete(table.Endpoints, web)
	before := len(r.txs)
	if err := b.Sync(table, sets.New(web), false); err != nil {
		t.Fatal(err)
	}
	if got := len(r.txs) - before; got != 2 {
		t.Fatalf("%d transactions, want 2 (unlink, then delete):\n%s", got, strings.Join(r.txs[before:], "----\n"))
	}
	unlink, del := r.txs[before], r.txs[before+1]
	svc := serviceObject(prefixService, web)
	if strings.Contains(unlink, "delete chain") || !strings.Contains(unlink, "flush chain ip nodenet "+svc) {
		t.Errorf("first transaction must flush, not delete, the chains:\n%s", unlink)
	}
	if !strings.Contains(del, "delete chain ip nodenet "+svc) || !strings.Contains(del, "delete chain ip nodenet "+serviceObject(prefixExternal, web)) {
		t.Errorf("second transaction must delete the chains:\n%s", del)
	}
	if dump := r.Dump(); strings.Contains(dump, "default/web") || strings.Contains(dump, "30080") || strings.Contains(dump, "10.96.0.10 ") {
		t.Errorf("web is still in the table:\n%s", dump)
	}
}

// TestRestartAdoptsTheTable: a new agent (new backend, same kernel) reads
// the table, keeps what is right (no flush of the table or of a map, no
// re-adding an element that is there) and removes what is stale.
func TestRestartAdoptsTheTable(t *testing.T) {
	_, r := synced(t, goldenTable())
	b2 := newTestBackend(t, testOptions, r)
	table := goldenTable()
	gone := portName("kube-system", "dns", "dns", v1.ProtocolUDP)
	delete(table.Services, gone)
	if err := b2.Sync(table, nil, true); err != nil {
		t.Fatal(err)
	}
	full := r.txs[len(r.txs)-2]
	for _, bad := range []string{"flush table", "delete table", "flush map", "flush set", "add element ip nodenet service-ips { 10.96.0.10"} {
		if strings.Contains(full, bad) {
			t.Errorf("restart sync has %q:\n%s", bad, full)
		}
	}
	if !strings.Contains(full, "delete element ip nodenet service-ips { 10.96.0.53 . udp . 53") {
		t.Errorf("restart sync does not remove the gone Service's element:\n%s", full)
	}
	if strings.Contains(r.Dump(), "kube-system/dns") {
		t.Errorf("leftover chain of kube-system/dns:\n%s", r.Dump())
	}
	// The adopted table equals one built from nothing.
	fresh, _ := synced(t, table)
	if got, want := r.Dump(), fresh.nft.(*recorder).Dump(); got != want {
		t.Errorf("adopted table differs from a fresh one:\n%s\n----\n%s", got, want)
	}
}

// TestSharedClusterIPElementStaysWhileOnePortLives: two ports of one
// ClusterIP share its cluster-ips element; deleting one keeps it.
func TestSharedClusterIPElementStaysWhileOnePortLives(t *testing.T) {
	table := webTable()
	other := portName("default", "web", "metrics", v1.ProtocolTCP)
	table.Services[other] = &proxy.ServicePort{Name: other, ClusterIPs: []netip.Addr{addr("10.96.0.10")}, Port: 9090, Protocol: v1.ProtocolTCP}
	table.Endpoints[other] = readyEndpoints("10.244.1.2:9090")
	b, r := synced(t, table)
	delete(table.Services, other)
	if err := b.Sync(table, sets.New(other), false); err != nil {
		t.Fatal(err)
	}
	if r.Fake.Table.Sets[setClusterIPs].FindElement("10.96.0.10") == nil {
		t.Fatalf("the ClusterIP's element went with one of its ports:\n%s", r.last())
	}
	if r.Fake.Table.Maps[mapServiceIPs].FindElement("10.96.0.10", "tcp", "9090") != nil {
		t.Fatalf("the deleted port's dispatch element is still there")
	}
}

// TestIntactNoticesAFlushedChain: a flushed base chain is noticed, and
// the full sync the proxier then runs puts it back.
func TestIntactNoticesAFlushedChain(t *testing.T) {
	table := webTable()
	b, r := synced(t, table)
	if ok, err := b.Intact(); !ok || err != nil {
		t.Fatalf("Intact after a sync = %v, %v; want true", ok, err)
	}
	tx := r.NewTransaction()
	tx.Flush(&knftables.Chain{Name: chainNATPrerouting})
	if err := r.Fake.Run(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Intact(); ok || err != nil {
		t.Fatalf("Intact after a flush = %v, %v; want false", ok, err)
	}
	if err := b.Sync(table, nil, true); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Intact(); !ok || err != nil {
		t.Fatalf("Intact after the repair = %v, %v; want true", ok, err)
	}
}

// TestPrimaryNodeIPsAreSetElements: with --nodeport-addresses primary the
// NodePorts answer nowhere until the table knows the node's primary IPs,
// then on those only; a change is reconciled in the set.
func TestPrimaryNodeIPsAreSetElements(t *testing.T) {
	r := newRecorder(familyV4)
	opts := testOptions
	opts.NodePorts = nodeport.Addresses{Primary: true}
	b := newTestBackend(t, opts, r)
	table := webTable()
	if err := b.Sync(table, nil, true); err != nil {
		t.Fatal(err)
	}
	set := func() []string {
		var out []string
		for _, e := range r.Fake.Table.Sets[setNodePortAddrs].Elements {
			out = append(out, e.Key[0])
		}
		return out
	}
	if got := set(); len(got) != 0 {
		t.Fatalf("nodeport-addrs before the Node is known = %v, want none", got)
	}
	for _, ips := range [][]netip.Addr{{addr("192.0.2.1"), addr("fd00::1")}, {addr("192.0.2.2")}} {
		table.Node.PrimaryIPs = ips
		if err := b.Sync(table, sets.New[proxy.ServicePortName](), false); err != nil {
			t.Fatal(err)
		}
		if got := set(); len(got) != 1 || got[0] != ips[0].String() {
			t.Fatalf("nodeport-addrs = %v, want [%s]", got, ips[0])
		}
	}
}
