package proxy

import (
	"fmt"
	"net/netip"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
)

// servicePortsFor derives the ports nodenet programs for svc. Headless and
// ExternalName Services yield nothing, as in kube-proxy. A Service with an
// invalid field yields an error and no ports at all: programming half of a
// malformed Service would be worse than skipping it.
func servicePortsFor(svc *v1.Service) (map[ServicePortName]*ServicePort, error) {
	if svc == nil || !isProxiable(svc) {
		return nil, nil
	}
	if err := validateNames(svc); err != nil {
		return nil, err
	}
	clusterIPs, err := parseAddrs("spec.clusterIPs", clusterIPsOf(svc))
	if err != nil {
		return nil, err
	}
	if err := oneClusterIPPerFamily(clusterIPs); err != nil {
		return nil, err
	}
	externalIPs, err := parseAddrs("spec.externalIPs", svc.Spec.ExternalIPs)
	if err != nil {
		return nil, err
	}
	lbIPs, err := parseAddrs("status.loadBalancer.ingress", loadBalancerIPsOf(svc))
	if err != nil {
		return nil, err
	}
	sourceRanges, err := sourceRangesOf(svc)
	if err != nil {
		return nil, err
	}
	name := types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
	if err := validateAffinity(svc); err != nil {
		return nil, err
	}
	if hc := svc.Spec.HealthCheckNodePort; hc < 0 || hc > 65535 {
		return nil, fmt.Errorf("spec.healthCheckNodePort: %d out of range", hc)
	}
	ports := make(map[ServicePortName]*ServicePort, len(svc.Spec.Ports))
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		if err := validatePort(sp); err != nil {
			return nil, fmt.Errorf("spec.ports[%d]: %w", i, err)
		}
		key := ServicePortName{NamespacedName: name, Port: sp.Name, Protocol: sp.Protocol}
		if _, dup := ports[key]; dup {
			return nil, fmt.Errorf("spec.ports[%d]: duplicate port name %q for %s", i, sp.Name, sp.Protocol)
		}
		ports[key] = &ServicePort{
			Name:                     key,
			ClusterIPs:               clusterIPs,
			Port:                     sp.Port,
			Protocol:                 sp.Protocol,
			NodePort:                 nodePortOf(svc, sp),
			ExternalIPs:              externalIPs,
			LoadBalancerIPs:          lbIPs,
			LoadBalancerSourceRanges: sourceRanges,
			StickyMaxAgeSeconds:      stickyMaxAge(svc),
			ExternalPolicyLocal:      externalPolicyLocal(svc),
			InternalPolicyLocal:      internalPolicyLocal(svc),
			HealthCheckNodePort:      healthCheckNodePort(svc),
			TopologyAware:            topologyAware(svc),
		}
	}
	return ports, nil
}

// isProxiable mirrors kube-proxy: no ClusterIP (headless) or ExternalName
// means there is nothing for a node proxy to do.
func isProxiable(svc *v1.Service) bool {
	if svc.Spec.Type == v1.ServiceTypeExternalName {
		return false
	}
	ip := svc.Spec.ClusterIP
	return ip != "" && ip != v1.ClusterIPNone
}

// clusterIPsOf returns spec.clusterIPs, which the API server allocates
// from ipFamilyPolicy in ipFamilies order (SingleStack: one address,
// dual-stack: one of each family), so it alone says which families'
// backends program the Service, as in kube-proxy. Old objects may only
// have spec.clusterIP.
func clusterIPsOf(svc *v1.Service) []string {
	if len(svc.Spec.ClusterIPs) > 0 {
		return svc.Spec.ClusterIPs
	}
	return []string{svc.Spec.ClusterIP}
}

func loadBalancerIPsOf(svc *v1.Service) []string {
	if svc.Spec.Type != v1.ServiceTypeLoadBalancer {
		return nil
	}
	var ips []string
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ing.IP != "" && isVIPMode(ing) {
			ips = append(ips, ing.IP)
		}
	}
	return ips
}

// stickyMaxAge is the ClientIP affinity timeout, 0 without affinity. An
// unset timeout takes the API's default, 3 hours (10800 s).
func stickyMaxAge(svc *v1.Service) int32 {
	if svc.Spec.SessionAffinity != v1.ServiceAffinityClientIP {
		return 0
	}
	cfg := svc.Spec.SessionAffinityConfig
	if cfg == nil || cfg.ClientIP == nil || cfg.ClientIP.TimeoutSeconds == nil {
		return v1.DefaultClientIPServiceAffinitySeconds
	}
	return *cfg.ClientIP.TimeoutSeconds
}

// maxStickySeconds is the API server's bound on the affinity timeout (1 day).
const maxStickySeconds = 86400

// validateAffinity mirrors the API server's bound.
func validateAffinity(svc *v1.Service) error {
	if t := stickyMaxAge(svc); svc.Spec.SessionAffinity == v1.ServiceAffinityClientIP && (t < 1 || t > maxStickySeconds) {
		return fmt.Errorf("spec.sessionAffinityConfig.clientIP.timeoutSeconds: %d out of range [1, %d]", t, maxStickySeconds)
	}
	return nil
}

func nodePortOf(svc *v1.Service, sp *v1.ServicePort) int32 {
	if svc.Spec.Type != v1.ServiceTypeNodePort && svc.Spec.Type != v1.ServiceTypeLoadBalancer {
		return 0
	}
	return sp.NodePort
}

func validatePort(sp *v1.ServicePort) error {
	switch sp.Protocol {
	case v1.ProtocolTCP, v1.ProtocolUDP, v1.ProtocolSCTP:
	default:
		return fmt.Errorf("unsupported protocol %q", sp.Protocol)
	}
	if sp.Port < 1 || sp.Port > 65535 {
		return fmt.Errorf("port %d out of range", sp.Port)
	}
	if sp.NodePort < 0 || sp.NodePort > 65535 {
		return fmt.Errorf("nodePort %d out of range", sp.NodePort)
	}
	return nil
}

func parseAddrs(field string, raw []string) ([]netip.Addr, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	addrs := make([]netip.Addr, 0, len(raw))
	for _, s := range raw {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid IP %q", field, s)
		}
		addrs = append(addrs, a.Unmap())
	}
	return addrs, nil
}

// oneClusterIPPerFamily applies the API server's rule: at most one
// ClusterIP per family. Two of one family would be a Service each family
// backend could not program as one.
func oneClusterIPPerFamily(ips []netip.Addr) error {
	if len(ips) > 2 || (len(ips) == 2 && ips[0].Is4() == ips[1].Is4()) {
		return fmt.Errorf("spec.clusterIPs: %v: at most one address per IP family", ips)
	}
	return nil
}

// validateNames applies the API server's rules to the names that end up
// in rule comments (namespace: DNS-1123 label, name: DNS-1035 label, port
// name: IANA service name). With --manifests nothing upstream checks them,
// and one over-long or oddly quoted name would make every restore fail.
func validateNames(svc *v1.Service) error {
	if errs := validation.IsDNS1123Label(svc.Namespace); len(errs) > 0 {
		return fmt.Errorf("metadata.namespace %q: %s", svc.Namespace, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1035Label(svc.Name); len(errs) > 0 {
		return fmt.Errorf("metadata.name %q: %s", svc.Name, strings.Join(errs, "; "))
	}
	for i, sp := range svc.Spec.Ports {
		if sp.Name == "" {
			continue
		}
		if errs := validation.IsValidPortName(sp.Name); len(errs) > 0 {
			return fmt.Errorf("spec.ports[%d].name %q: %s", i, sp.Name, strings.Join(errs, "; "))
		}
	}
	return nil
}
