//go:build e2e

package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// nftDump is `nodenet dump nftables -o json`.
type nftDump struct {
	ServicePorts []struct {
		Service, PortName, Protocol string
		Chains                      []struct {
			Name  string
			Rules []string
		}
		Elements []nftDumpElement
	}
	Unattributed []nftDumpElement
}

type nftDumpElement struct{ Container, Element string }

// TestDumpNFTablesByService: against a running agent in nftables mode
// (whatever mode the suite runs), `nodenet dump nftables` gives each
// Service port its chains with the rules the kernel holds, its dispatch
// elements and its endpoints, and accounts for every element of the
// kernel's table.
func TestDumpNFTablesByService(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	s.addService(web, s.ep("pod-a"), s.ep("pod-b"))
	s.addService(service{Name: "empty", Type: "ClusterIP", ClusterIP: emptyIP, Ports: tcpUDP(80, 0)})
	s.startAgent("--proxy-mode", "nftables", "--cluster-cidr", "10.244.0.0/16")
	s.waitServing(s.pod("pod-c"), "tcp", webIP+":80")
	out, err := s.nodenet("dump", "nftables", "--ip-family", "IPv4", "-o", "json")
	if err != nil {
		t.Fatalf("dump nftables: %v\n%s", err, out)
	}
	var dump nftDump
	if err := json.Unmarshal([]byte(out), &dump); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	node := s.topo.Node
	got := map[string]int{}
	shown := map[nftDumpElement]bool{} // a shared element is listed under each port
	for _, e := range dump.Unattributed {
		shown[e] = true
	}
	for _, p := range dump.ServicePorts {
		id := p.Service + ":" + p.PortName + "/" + p.Protocol
		got[id]++
		for _, e := range p.Elements {
			shown[e] = true
		}
		for _, c := range p.Chains {
			kernel := chainRules(node.Run(t, "nft", "list", "chain", "ip", "nodenet", c.Name))
			if !slices.Equal(c.Rules, kernel) {
				t.Errorf("%s chain %s: dump %q, kernel %q", id, c.Name, c.Rules, kernel)
			}
		}
		proto := strings.ToLower(p.Protocol)
		switch p.Service {
		case "default/web":
			a, b := s.ep("pod-a").IP+" . 8080", s.ep("pod-b").IP+" . 8080"
			wantElements(t, id, p.Elements, "cluster-ips "+webIP, "service-ips "+webIP+" . "+proto+" . 80 : goto svc-",
				"service-nodeports "+proto+" . 30080 : goto ext-", "eps-"+proto+"-* * : "+a, "eps-"+proto+"-* * : "+b)
			if len(p.Chains) != 2 {
				t.Errorf("%s: chains %v, want its svc- and ext- chains", id, p.Chains)
			}
		case "default/empty":
			wantElements(t, id, p.Elements, "cluster-ips "+emptyIP, "no-endpoint-services "+emptyIP+" . "+proto+" . 80 : goto reject-chain")
		}
	}
	for _, id := range []string{"default/web:tcp/TCP", "default/web:udp/UDP", "default/empty:tcp/TCP", "default/empty:udp/UDP"} {
		if got[id] != 1 {
			t.Errorf("%s listed %d times in the dump", id, got[id])
		}
	}
	if kernel := kernelElementCount(t, node.Run(t, "nft", "-j", "list", "table", "ip", "nodenet")); len(shown) != kernel {
		t.Errorf("the dump shows %d elements, the kernel's table holds %d:\n%s", len(shown), kernel, out)
	}
}

// chainRules are the rules of a `nft list chain` listing.
func chainRules(listing string) []string {
	var out []string
	for _, l := range strings.Split(listing, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l == "}" || strings.HasPrefix(l, "table ") || strings.HasPrefix(l, "chain ") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// wantElements checks that each of want ("container element") is among
// els: a container ending in * matches by prefix, an element starting
// with * by suffix, any other by prefix.
func wantElements(t *testing.T, id string, els []nftDumpElement, want ...string) {
	t.Helper()
	for _, w := range want {
		container, element, _ := strings.Cut(w, " ")
		found := slices.ContainsFunc(els, func(e nftDumpElement) bool {
			cOK := e.Container == container || (strings.HasSuffix(container, "*") && strings.HasPrefix(e.Container, strings.TrimSuffix(container, "*")))
			eOK := strings.HasPrefix(e.Element, element) || (strings.HasPrefix(element, "*") && strings.HasSuffix(e.Element, element[1:]))
			return cOK && eOK
		})
		if !found {
			t.Errorf("%s: no element %q in %v", id, w, els)
		}
	}
}

// kernelElementCount counts the elements of every set and map in a
// `nft -j list table`.
func kernelElementCount(t *testing.T, js string) int {
	t.Helper()
	var doc struct {
		Nftables []map[string]struct {
			Elem []json.RawMessage `json:"elem"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, obj := range doc.Nftables {
		n += len(obj["set"].Elem) + len(obj["map"].Elem)
	}
	return n
}
