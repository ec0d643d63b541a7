//go:build e2e

package nftables_test

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/nftables"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/test/netns"
)

// TestGroupedElementsEqualPerElement: the agent's backend (nftables.New)
// writes each map's elements as one nft command (grouped.go); the same
// syncs written by knftables, one command per element, must leave the
// kernel with the same table after every step: a full sync, replaced
// endpoints (delete + add of one key in one transaction), a grown
// endpoint count, a removed Service, and a restarted backend's full sync
// adopting the table.
func TestGroupedElementsEqualPerElement(t *testing.T) {
	netns.RequireRoot(t)
	prefix := netns.UniquePrefix("n")
	grouped := netns.New(t, prefix+"-grp")
	perElem := netns.New(t, prefix+"-per")
	tab := groupedTable()
	var gb, pb *nftables.Backend
	steps := []struct {
		name    string
		change  func() sets.Set[proxy.ServicePortName]
		restart bool
	}{
		{name: "full sync", change: func() sets.Set[proxy.ServicePortName] { return nil }},
		{name: "replaced endpoints", change: func() sets.Set[proxy.ServicePortName] {
			changed := sets.New[proxy.ServicePortName]()
			for i := 0; i < 40; i += 3 {
				n := name(fmt.Sprintf("bulk-%d", i))
				tab.Endpoints[n][0] = eps(fmt.Sprintf("10.250.0.%d:8080", i))[0]
				changed.Insert(n)
			}
			return changed
		}},
		{name: "grown and removed", change: func() sets.Set[proxy.ServicePortName] {
			grown, gone := name("bulk-1"), name("bulk-2")
			tab.Endpoints[grown] = append(tab.Endpoints[grown], eps("10.251.0.1:8080", "10.251.0.2:8080", "10.251.0.3:8080")...)
			delete(tab.Services, gone)
			delete(tab.Endpoints, gone)
			return sets.New(grown, gone)
		}},
		{name: "restart", change: func() sets.Set[proxy.ServicePortName] { return nil }, restart: true},
	}
	for _, step := range steps {
		changed := step.change()
		full := changed == nil
		for _, side := range []struct {
			ns      *netns.NS
			b       **nftables.Backend
			grouped bool
		}{{grouped, &gb, true}, {perElem, &pb, false}} {
			err := netns.Within(side.ns.Name, func() error {
				if *side.b == nil || step.restart {
					b, err := newBackendOf(side.grouped)
					if err != nil {
						return err
					}
					*side.b = b
				}
				return (*side.b).Sync(tab, changed, full)
			})
			if err != nil {
				t.Fatalf("%s (grouped %v): %v", step.name, side.grouped, err)
			}
		}
		g := normalized(grouped.Run(t, "nft", "list", "table", "ip", nftables.TableName))
		p := normalized(perElem.Run(t, "nft", "list", "table", "ip", nftables.TableName))
		if g != p {
			t.Fatalf("after %s the grouped table differs from the per-element one:\n--- grouped\n%s\n--- per element\n%s", step.name, g, p)
		}
		if !strings.Contains(g, "10.244.2.") {
			t.Fatalf("after %s: no endpoint in the table:\n%s", step.name, g)
		}
	}
}

// groupedTable: table() and 40 ClusterIP Services of four endpoints.
func groupedTable() *proxy.Table {
	t := table()
	for i := 0; i < 40; i++ {
		n := name(fmt.Sprintf("bulk-%d", i))
		t.Services[n] = &proxy.ServicePort{Name: n, ClusterIPs: []netip.Addr{netip.AddrFrom4([4]byte{10, 96, 1, byte(i)})}, Port: 80, Protocol: v1.ProtocolTCP}
		for e := 0; e < 4; e++ {
			t.Endpoints[n] = append(t.Endpoints[n], eps(fmt.Sprintf("10.244.2.%d:8080", 4*i+e))...)
		}
	}
	return t
}

// newBackendOf returns the agent's backend (grouped elements) or one over
// knftables' real interface (one command per element).
func newBackendOf(grouped bool) (*nftables.Backend, error) {
	if grouped {
		return nftables.New(testBackendOptions)
	}
	nft, err := newKnftables()
	if err != nil {
		return nil, err
	}
	return nftables.NewWithInterface(testBackendOptions, nft)
}

var elementsBlock = regexp.MustCompile(`elements = \{([^}]*)\}`)

// normalized is an `nft list table` listing with each map's and set's
// elements sorted: the kernel lists a hash set in its hash order, which
// differs between two tables holding the same elements.
func normalized(listing string) string {
	return elementsBlock.ReplaceAllStringFunc(listing, func(block string) string {
		inner := elementsBlock.FindStringSubmatch(block)[1]
		var els []string
		for _, e := range strings.Split(inner, ",") {
			if e = strings.Join(strings.Fields(e), " "); e != "" {
				els = append(els, e)
			}
		}
		slices.Sort(els)
		return "elements = { " + strings.Join(els, ", ") + " }"
	})
}
