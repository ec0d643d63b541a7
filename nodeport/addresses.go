package nodeport

import (
	"fmt"
	"net/netip"
	"strings"
)

// PrimaryWord is kube-proxy's special --nodeport-addresses value: NodePorts
// on the node's primary IPs only (the first InternalIP of each family in
// its Node object), as kube-proxy's nftables mode does by default.
const PrimaryWord = "primary"

// Addresses is --nodeport-addresses: which of the node's own addresses
// serve NodePorts. The zero value is kube-proxy's iptables default: every
// local address but loopback.
type Addresses struct {
	// CIDRs, when set, limit NodePorts to local addresses inside them.
	// A CIDR holding loopback addresses opts them in (kube-proxy's
	// iptables mode does the same; it then needs route_localnet).
	CIDRs []netip.Prefix
	// Primary limits NodePorts to the node's primary IPs, read from its
	// Node object (proxy.Table.Node.PrimaryIPs). Excludes CIDRs.
	Primary bool
}

// ParseAddresses reads the flag's values: CIDRs, or the word primary
// alone (kube-proxy rejects "primary" mixed with CIDRs too). Errors do not
// name the flag: the caller does (flag or config file field).
func ParseAddresses(values []string) (Addresses, error) {
	var a Addresses
	for _, v := range values {
		switch v = strings.TrimSpace(v); v {
		case "":
		case PrimaryWord:
			a.Primary = true
		default:
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return Addresses{}, fmt.Errorf("%q is not a CIDR (want e.g. 10.244.0.0/16, or %q)", v, PrimaryWord)
			}
			a.CIDRs = append(a.CIDRs, p.Masked())
		}
	}
	if err := a.Validate(); err != nil {
		return Addresses{}, fmt.Errorf("%w (got %s)", err, strings.Join(values, ","))
	}
	return a, nil
}

// Validate rejects primary mixed with CIDRs.
func (a Addresses) Validate() error {
	if a.Primary && len(a.CIDRs) > 0 {
		return fmt.Errorf("%q cannot be combined with CIDRs", PrimaryWord)
	}
	return nil
}

// OfFamily keeps the CIDRs of one family (is4): each family's backend
// gets its own, and a family with none serves NodePorts on every local
// address of that family, as kube-proxy's per-family proxiers do.
func (a Addresses) OfFamily(is4 bool) Addresses {
	out := Addresses{Primary: a.Primary}
	for _, p := range a.CIDRs {
		if p.Addr().Is4() == is4 {
			out.CIDRs = append(out.CIDRs, p)
		}
	}
	return out
}

// Loopback is the family's loopback range. NodePorts are never served on
// it unless a CIDR asks: localhost NodePorts need route_localnet, which
// opens CVE-2020-8558.
func Loopback(is4 bool) netip.Prefix {
	if is4 {
		return netip.MustParsePrefix("127.0.0.0/8")
	}
	return netip.MustParsePrefix("::1/128")
}
