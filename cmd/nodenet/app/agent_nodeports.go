package app

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/nodenet/nodenet/proxy"
)

// nodePortPrimaryWord is kube-proxy's special --nodeport-addresses value.
const nodePortPrimaryWord = "primary"

// parseNodePortAddresses reads --nodeport-addresses: CIDRs, or the word
// primary alone (kube-proxy rejects "primary" mixed with CIDRs too).
func parseNodePortAddresses(values []string) ([]netip.Prefix, bool, error) {
	var cidrs []string
	primary := false
	for _, v := range values {
		switch v = strings.TrimSpace(v); v {
		case "":
		case nodePortPrimaryWord:
			primary = true
		default:
			cidrs = append(cidrs, v)
		}
	}
	if primary && len(cidrs) > 0 {
		return nil, false, fmt.Errorf("--nodeport-addresses: %q cannot be combined with CIDRs (got %s)", nodePortPrimaryWord, strings.Join(values, ","))
	}
	prefixes, err := parseCIDRs("--nodeport-addresses", cidrs)
	if err != nil {
		return nil, false, fmt.Errorf("%w (or %q)", err, nodePortPrimaryWord)
	}
	return prefixes, primary, nil
}

// withPrimaryNodeIPs adds, for --nodeport-addresses primary, the Node
// handler that feeds the node's primary IPs (the first InternalIP of each
// family) to every family's backend, which keeps its own family's. A change of
// those IPs is handed to the backend, which makes its next sync full, and
// a full sync is requested right away: the NodePort jumps live in the
// dispatch chains, which full syncs rewrite.
func withPrimaryNodeIPs(h proxy.Handlers, cfg *agentConfig, p *proxy.Proxier, backends []familyBackend) proxy.Handlers {
	if !cfg.NodePortPrimary {
		return h
	}
	ips := &proxy.PrimaryNodeIPs{OnChange: func(ips []netip.Addr) {
		for _, b := range backends {
			b.SetPrimaryNodeIPs(ips)
		}
		p.RequestFullSync()
	}}
	if h.Nodes == nil {
		h.Nodes = ips
	} else {
		h.Nodes = proxy.NodeFanout{h.Nodes, ips}
	}
	return h
}
