package source

import (
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// stripService is the Service informer's transform: it drops what no
// consumer of Services reads (managedFields, the kubectl
// last-applied-configuration annotation, owner references) and keeps
// everything else, spec and status whole: the proxy reads most of the
// spec, and a field it starts reading later must not silently be missing.
// The input is not modified (a shallow copy with a new ObjectMeta); other
// objects (tombstones) pass unchanged.
func stripService(obj any) (any, error) {
	svc, ok := obj.(*v1.Service)
	if !ok {
		return obj, nil
	}
	out := *svc
	out.ObjectMeta = strippedMeta(svc.ObjectMeta)
	return &out, nil
}

// stripEndpointSlice is the EndpointSlice informer's transform: as
// stripService, and per endpoint it drops targetRef (the Pod's kind,
// namespace, name and uid: ~200 bytes an endpoint, 20 MB at 100k),
// hostname and deprecatedTopology, which the proxy never reads. Addresses,
// conditions, nodeName, zone and hints stay, and so do the labels (the
// Service name) and annotations (the trigger time behind
// kubeproxy_network_programming_duration_seconds).
func stripEndpointSlice(obj any) (any, error) {
	slice, ok := obj.(*discovery.EndpointSlice)
	if !ok {
		return obj, nil
	}
	out := *slice
	out.ObjectMeta = strippedMeta(slice.ObjectMeta)
	if slice.Endpoints != nil {
		out.Endpoints = make([]discovery.Endpoint, len(slice.Endpoints))
		for i, ep := range slice.Endpoints {
			ep.TargetRef, ep.Hostname, ep.DeprecatedTopology = nil, nil, nil
			out.Endpoints[i] = ep
		}
	}
	return &out, nil
}

// strippedMeta is m without managedFields (often the largest part of a
// small object), owner references, and the last-applied-configuration
// annotation (a second copy of the whole object as JSON, when it was
// written with kubectl apply). Name, namespace, uid, resourceVersion and
// creationTimestamp stay: Events name the object, and the older of two
// Services claiming a frontend keeps it.
func strippedMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	m.ManagedFields, m.OwnerReferences = nil, nil
	if _, ok := m.Annotations[v1.LastAppliedConfigAnnotation]; ok {
		kept := make(map[string]string, len(m.Annotations)-1)
		for k, v := range m.Annotations {
			if k != v1.LastAppliedConfigAnnotation {
				kept[k] = v
			}
		}
		m.Annotations = kept
	}
	return m
}
