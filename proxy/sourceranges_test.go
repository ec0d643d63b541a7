package proxy

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func lbService(ranges []string, ingress ...v1.LoadBalancerIngress) *v1.Service {
	return makeService("lb", "10.96.0.30", func(s *v1.Service) {
		s.Spec.Type = v1.ServiceTypeLoadBalancer
		s.Spec.LoadBalancerSourceRanges = ranges
		s.Status.LoadBalancer.Ingress = ingress
	})
}

func onlyPort(t *testing.T, svc *v1.Service) *ServicePort {
	t.Helper()
	ports, err := servicePortsFor(svc)
	if err != nil || len(ports) != 1 {
		t.Fatalf("servicePortsFor = %v, %v; want one port", ports, err)
	}
	for _, sp := range ports {
		return sp
	}
	return nil
}

func TestLoadBalancerSourceRangesParsed(t *testing.T) {
	sp := onlyPort(t, lbService([]string{" 192.0.2.7/24", "2001:db8::/32", "::ffff:198.51.100.0/120"}, v1.LoadBalancerIngress{IP: "203.0.113.10"}))
	want := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("198.51.100.0/24")}
	if !slices.Equal(sp.LoadBalancerSourceRanges, want) {
		t.Errorf("ranges = %v, want %v", sp.LoadBalancerSourceRanges, want)
	}
	// Other types have no load-balancer IP to restrict.
	np := lbService([]string{"192.0.2.0/24"})
	np.Spec.Type = v1.ServiceTypeNodePort
	if sp := onlyPort(t, np); sp.LoadBalancerSourceRanges != nil {
		t.Errorf("NodePort Service got ranges %v", sp.LoadBalancerSourceRanges)
	}
}

// An invalid range makes the whole Service malformed: skipped, not opened.
func TestLoadBalancerSourceRangesInvalid(t *testing.T) {
	ports, err := servicePortsFor(lbService([]string{"192.0.2.0/24", "192.0.2.300/24"}))
	if err == nil || ports != nil || !strings.Contains(err.Error(), "spec.loadBalancerSourceRanges[1]") {
		t.Fatalf("servicePortsFor = %v, %v; want an error naming the entry", ports, err)
	}
}

func TestIngressIPModeProxyNotProgrammed(t *testing.T) {
	sp := onlyPort(t, lbService(nil,
		v1.LoadBalancerIngress{IP: "203.0.113.10"},
		v1.LoadBalancerIngress{IP: "203.0.113.11", IPMode: ptr.To(v1.LoadBalancerIPModeVIP)},
		v1.LoadBalancerIngress{IP: "203.0.113.12", IPMode: ptr.To(v1.LoadBalancerIPModeProxy)},
	))
	want := []netip.Addr{netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("203.0.113.11")}
	if !slices.Equal(sp.LoadBalancerIPs, want) {
		t.Errorf("load-balancer IPs = %v, want %v (not the Proxy-mode one)", sp.LoadBalancerIPs, want)
	}
}
