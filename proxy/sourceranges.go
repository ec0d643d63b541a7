package proxy

import (
	"fmt"
	"net/netip"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// sourceRangesOf parses spec.loadBalancerSourceRanges of a LoadBalancer
// Service (other types have no load-balancer IPs to restrict).
//
// kube-proxy ignores an invalid entry and keeps the others
// (proxyutil.MapCIDRsByIPFamily), so a list whose every entry is invalid
// opens the load-balancer IPs to everyone. nodenet rejects the whole
// Service instead, like any other malformed field: a firewall that fails
// open is worse than a Service that is skipped and reported. The API
// server validates the field, so only hand-written manifests differ.
// Entries are trimmed and host bits cleared, as the API server and
// kube-proxy read them.
func sourceRangesOf(svc *v1.Service) ([]netip.Prefix, error) {
	if svc.Spec.Type != v1.ServiceTypeLoadBalancer || len(svc.Spec.LoadBalancerSourceRanges) == 0 {
		return nil, nil
	}
	out := make([]netip.Prefix, 0, len(svc.Spec.LoadBalancerSourceRanges))
	for i, raw := range svc.Spec.LoadBalancerSourceRanges {
		p, err := netip.ParsePrefix(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("spec.loadBalancerSourceRanges[%d]: invalid CIDR %q: %w", i, raw, err)
		}
		out = append(out, netip.PrefixFrom(p.Addr().Unmap(), unmappedBits(p)).Masked())
	}
	return out, nil
}

// unmappedBits keeps an IPv4-mapped IPv6 prefix (::ffff:a.b.c.d/n) an
// IPv4 one, as addresses are unmapped everywhere else.
func unmappedBits(p netip.Prefix) int {
	if p.Addr().Is4In6() {
		return max(p.Bits()-96, 0)
	}
	return p.Bits()
}

// isVIPMode: an ingress whose ipMode is Proxy is reached through the load
// balancer, which forwards to the node (e.g. to a NodePort), so the node
// must not capture traffic to that IP itself; unset means VIP. kube-proxy
// (proxyutil.IsVIPMode) programs only VIP-mode ingress IPs the same way.
func isVIPMode(ing v1.LoadBalancerIngress) bool {
	return ing.IPMode == nil || *ing.IPMode == v1.LoadBalancerIPModeVIP
}
