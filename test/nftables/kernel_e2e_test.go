//go:build e2e

// Package nftables_test holds the nftables backend's contract tests: the
// backend against the real kernel and nft binary, in a namespace of its
// own, checking what knftables' fake cannot (that the kernel accepts the
// transactions, in that order, and lists elements as the backend writes
// them).
package nftables_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/nftables"
	"github.com/nodenet/nodenet/nodeport"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/test/netns"
)

// recording is the real knftables interface, keeping each transaction.
type recording struct {
	knftables.Interface
	txs []string
}

func (r *recording) Run(ctx context.Context, tx *knftables.Transaction) error {
	r.txs = append(r.txs, tx.String())
	return r.Interface.Run(ctx, tx)
}

func name(n string) proxy.ServicePortName {
	return proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: "default", Name: n}, Port: "http", Protocol: v1.ProtocolTCP}
}

func eps(aps ...string) []proxy.Endpoint {
	var out []proxy.Endpoint
	for _, s := range aps {
		ap := netip.MustParseAddrPort(s)
		out = append(out, proxy.Endpoint{Addr: ap.Addr(), Port: int32(ap.Port()), Ready: true, Serving: true, IsLocal: true})
	}
	return out
}

// table: a NodePort Service, a sticky one, and a LoadBalancer whose two
// source ranges make an anonymous set in its firewall rule.
func table() *proxy.Table {
	t := proxy.NewTable()
	web, sticky, lb := name("web"), name("sticky"), name("lb")
	t.Services[web] = &proxy.ServicePort{Name: web, ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.10")}, Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080}
	t.Endpoints[web] = eps("10.244.1.2:8080", "10.244.1.3:8080")
	t.Services[sticky] = &proxy.ServicePort{Name: sticky, ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.11")}, Port: 80, Protocol: v1.ProtocolTCP, StickyMaxAgeSeconds: 60}
	t.Endpoints[sticky] = eps("10.244.1.4:8080", "10.244.1.5:8080")
	t.Services[lb] = &proxy.ServicePort{Name: lb, ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.12")}, Port: 80, Protocol: v1.ProtocolTCP,
		LoadBalancerIPs:          []netip.Addr{netip.MustParseAddr("198.51.100.1")},
		LoadBalancerSourceRanges: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("203.0.113.0/24")}}
	t.Endpoints[lb] = eps("10.244.1.6:8080")
	return t
}

var testBackendOptions = nftables.Options{Family: v1.IPv4Protocol, MasqueradeBit: 14,
	ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")},
	ServiceCIDRs: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")}}

// newKnftables is knftables' real interface to nodenet's IPv4 table.
func newKnftables() (knftables.Interface, error) {
	return knftables.New(knftables.IPv4Family, nftables.TableName, knftables.UseNetlink)
}

func newBackend(t *testing.T) (*nftables.Backend, *recording) {
	t.Helper()
	nft, err := newKnftables()
	if err != nil {
		t.Fatal(err)
	}
	r := &recording{Interface: nft}
	b, err := nftables.NewWithInterface(testBackendOptions, r)
	if err != nil {
		t.Fatal(err)
	}
	return b, r
}

// TestKernelAcceptsSyncsAndRestarts: a full sync, incremental changes
// (endpoints, affinity timeout, a removed Service, whose chains the kernel
// deletes in the second transaction), a restart that adopts the table
// and a later full sync that finds nothing to change in the shared maps
// and sets: the kernel lists elements as the backend writes them, and
// anonymous sets are left to their rules.
func TestKernelAcceptsSyncsAndRestarts(t *testing.T) {
	netns.RequireRoot(t)
	node := netns.New(t, netns.UniquePrefix("n")+"-nft")
	err := netns.Within(node.Name, func() error {
		tab := table()
		b, r := newBackend(t)
		if err := b.Sync(tab, nil, true); err != nil {
			t.Fatalf("full sync: %v\n%s", err, r.txs[len(r.txs)-1])
		}
		// Three endpoints: a new rule into an endpoint map that the first
		// transaction made, so nft reads the map's typeof from the kernel.
		tab.Endpoints[name("web")] = eps("10.244.1.7:8080", "10.244.1.8:8080", "10.244.1.9:8080")
		tab.Services[name("sticky")].StickyMaxAgeSeconds = 120
		delete(tab.Services, name("lb"))
		if err := b.Sync(tab, sets.New(name("web"), name("sticky"), name("lb")), false); err != nil {
			t.Fatalf("incremental sync: %v\n%s", err, strings.Join(r.txs, "----\n"))
		}
		listing := node.Run(t, "nft", "list", "table", "ip", nftables.TableName)
		for _, gone := range []string{"default/lb/", "timeout 1m"} {
			if strings.Contains(listing, gone) {
				t.Errorf("%q still in the kernel after the change:\n%s", gone, listing)
			}
		}
		tab.Services[name("lb")] = table().Services[name("lb")]
		if err := b.Sync(tab, sets.New(name("lb")), false); err != nil {
			t.Fatal(err)
		}

		b2, r2 := newBackend(t) // a restarted agent
		for i := 0; i < 2; i++ {
			if err := b2.Sync(tab, nil, true); err != nil {
				t.Fatalf("full sync %d after restart: %v\n%s", i, err, strings.Join(r2.txs, "----\n"))
			}
		}
		last := r2.txs[len(r2.txs)-1]
		for _, l := range strings.Split(last, "\n") {
			if strings.Contains(l, " element ") || strings.Contains(l, "delete ") {
				t.Errorf("a full sync over an up-to-date table changes %q", l)
			}
		}
		if ok, err := b2.Intact(); !ok || err != nil {
			t.Errorf("Intact = %v, %v; want true", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestKernelTakesOverlappingNodePortAddresses: --nodeport-addresses with a
// CIDR inside another is one interval in nodeport-addrs; two would make
// the kernel refuse every full sync ("conflicting intervals specified").
func TestKernelTakesOverlappingNodePortAddresses(t *testing.T) {
	netns.RequireRoot(t)
	node := netns.New(t, netns.UniquePrefix("n")+"-nft")
	addrs, err := nodeport.ParseAddresses([]string{"10.0.0.0/8", "10.1.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	opts := testBackendOptions
	opts.NodePorts = addrs
	err = netns.Within(node.Name, func() error {
		b, err := nftables.New(opts)
		if err != nil {
			return err
		}
		return b.Sync(table(), nil, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	if set := node.Run(t, "nft", "list", "set", "ip", nftables.TableName, "nodeport-addrs"); !strings.Contains(set, "10.0.0.0/8") {
		t.Errorf("nodeport-addrs lacks 10.0.0.0/8:\n%s", set)
	}
}

// TestIntactCountsRulesOverNetlink: the real backend counts the fixed
// chains' rules with a netlink dump of each chain (not `nft list chain`,
// which loads the whole table): intact after a sync, not intact once a
// verified chain is flushed, or deleted (the kernel's ENOENT), and intact
// again after the next full sync.
func TestIntactCountsRulesOverNetlink(t *testing.T) {
	netns.RequireRoot(t)
	node := netns.New(t, netns.UniquePrefix("n")+"-nft")
	err := netns.Within(node.Name, func() error {
		b, err := nftables.New(testBackendOptions)
		if err != nil {
			return err
		}
		resync := func() {
			t.Helper()
			if err := b.Sync(table(), nil, true); err != nil {
				t.Fatal(err)
			}
		}
		intact := func(want bool, after string) {
			t.Helper()
			if ok, err := b.Intact(); ok != want || err != nil {
				t.Errorf("after %s: Intact = %v, %v; want %v", after, ok, err, want)
			}
		}
		resync()
		intact(true, "a full sync")
		node.Run(t, "nft", "flush", "chain", "ip", nftables.TableName, "services")
		intact(false, "flushing the services chain")
		resync()
		intact(true, "the repairing full sync")
		node.Run(t, "nft", "flush", "chain", "ip", nftables.TableName, "nat-output")
		node.Run(t, "nft", "delete", "chain", "ip", nftables.TableName, "nat-output")
		intact(false, "deleting a hooked chain")
		resync()
		intact(true, "the repairing full sync")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
