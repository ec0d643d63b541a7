//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// What differs between the proxy modes when a test reads the node's rules
// rather than sending packets.

func nftMode() bool { return proxyMode == "nftables" }

// proxyRules is the node's Service proxy rules of one family ("IPv4" or
// "IPv6") in the mode under test: iptables-save, or nodenet's nft table.
func (s *scenario) proxyRules(family string) string {
	s.t.Helper()
	if nftMode() {
		fam := map[string]string{"IPv4": "ip", "IPv6": "ip6"}[family]
		out, _ := s.topo.Node.Exec("nft", "list", "table", fam, "nodenet")
		return out
	}
	return s.save(map[string]string{"IPv4": "iptables-save", "IPv6": "ip6tables-save"}[family])
}

// serviceMarker is how a Service port's name appears in the rules:
// iptables comments "ns/name:port", nft chain names "ns/name/proto/port".
func serviceMarker(nsName, port, proto string) string {
	if nftMode() {
		return nsName + "/" + strings.ToLower(proto) + "/" + port
	}
	return nsName + ":" + port
}

// servicePrefixMarker is how any port of a Service appears in the rules.
func servicePrefixMarker(nsName string) string {
	if nftMode() {
		return nsName + "/"
	}
	return nsName + ":"
}

// masqMarkText is how the masquerade mark of bit appears in the rules.
func masqMarkText(bit int) string {
	if nftMode() {
		return fmt.Sprintf("0x%08x", 1<<bit)
	}
	return fmt.Sprintf("0x%x/0x%x", 1<<bit, 1<<bit)
}

// nftCounted sums the packet counters of the nft rules containing match.
func nftCounted(rules, match string) int {
	n := 0
	for _, l := range strings.Split(rules, "\n") {
		i := strings.Index(l, "counter packets ")
		if !strings.Contains(l, match) || i < 0 {
			continue
		}
		var pkts int
		if _, err := fmt.Sscanf(l[i:], "counter packets %d", &pkts); err == nil {
			n += pkts
		}
	}
	return n
}

var nftCounter = regexp.MustCompile(`counter packets \d+ bytes \d+`)

// nftRulesNormalized is nodenet's nft tables of node as a sorted list of
// items (rules, declarations, set elements), counters zeroed: the order
// nft lists objects in follows their creation, which a restarted agent
// does differently from a fresh one.
func nftRulesNormalized(t *testing.T, node *netns.NS) string {
	t.Helper()
	var items []string
	for _, fam := range []string{"ip", "ip6"} {
		out, _ := node.Exec("nft", "list", "table", fam, "nodenet")
		out = nftCounter.ReplaceAllString(out, "counter")
		for _, l := range strings.Split(strings.ReplaceAll(out, ",", "\n"), "\n") {
			if l = strings.TrimSpace(l); l != "" && l != "}" {
				items = append(items, fam+" "+l)
			}
		}
	}
	sort.Strings(items)
	return strings.Join(items, "\n")
}

// nodenetTables lists nodenet's nftables tables in ns ("" for the root
// namespace): the nftables mode's, which cleanup must remove.
func nodenetTables(t *testing.T, ns string) string {
	t.Helper()
	out, err := netns.Exec(ns, "nft", "list", "tables")
	if err != nil {
		t.Fatalf("nft list tables: %v\n%s", err, out)
	}
	var ours []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(strings.TrimSpace(l), " nodenet") {
			ours = append(ours, strings.TrimSpace(l))
		}
	}
	return strings.Join(ours, "\n")
}
