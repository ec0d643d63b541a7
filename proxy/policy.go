package proxy

import v1 "k8s.io/api/core/v1"

// externallyAccessible mirrors kube-proxy's ServicePort.ExternallyAccessible:
// the Service has a frontend reachable from outside the cluster.
func externallyAccessible(svc *v1.Service) bool {
	t := svc.Spec.Type
	return t == v1.ServiceTypeNodePort || t == v1.ServiceTypeLoadBalancer || len(svc.Spec.ExternalIPs) > 0
}

// externalPolicyLocal mirrors kube-proxy's ExternalPolicyLocal: the policy
// only means something for a Service with external frontends.
func externalPolicyLocal(svc *v1.Service) bool {
	return externallyAccessible(svc) && svc.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal
}

func internalPolicyLocal(svc *v1.Service) bool {
	p := svc.Spec.InternalTrafficPolicy
	return p != nil && *p == v1.ServiceInternalTrafficPolicyLocal
}

// healthCheckNodePort is set by the API server for LoadBalancer Services
// with externalTrafficPolicy Local; kube-proxy serves it whenever the
// Service's external policy is Local, and so do we.
func healthCheckNodePort(svc *v1.Service) int32 {
	if !externalPolicyLocal(svc) {
		return 0
	}
	return svc.Spec.HealthCheckNodePort
}

// LocalOnly tells whether traffic reaching sp through a frontend of kind
// goes to this node's endpoints only: external frontends under
// externalTrafficPolicy Local, ClusterIPs under internalTrafficPolicy Local.
func (sp *ServicePort) LocalOnly(kind FrontendKind) bool {
	if kind == ClusterIPFrontend {
		return sp.InternalPolicyLocal
	}
	return sp.ExternalPolicyLocal
}

// LocalEndpoints picks the endpoints that receive traffic under a Local
// policy, as kube-proxy's pkg/proxy/topology.go: this node's ready
// endpoints, else its serving-terminating ones. Remote endpoints never
// count, even when the local ones are only terminating.
func LocalEndpoints(eps []Endpoint) []Endpoint {
	var local []Endpoint
	for _, ep := range eps {
		if ep.IsLocal {
			local = append(local, ep)
		}
	}
	return UsableEndpoints(local)
}
