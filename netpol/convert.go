package netpol

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"
)

// PodFromAPI extracts the model's view of a pod. Unparsable pod IPs are
// skipped: the API server validates them, so this only drops garbage.
func PodFromAPI(pod *v1.Pod) Pod {
	return Pod{
		Namespace:   pod.Namespace,
		Name:        pod.Name,
		NodeName:    pod.Spec.NodeName,
		HostNetwork: pod.Spec.HostNetwork,
		IPs:         podIPs(pod),
		Labels:      pod.Labels,
		Ports:       namedContainerPorts(pod),
	}
}

// NamespaceFromAPI extracts the model's view of a namespace.
func NamespaceFromAPI(ns *v1.Namespace) Namespace {
	return Namespace{Name: ns.Name, Labels: ns.Labels}
}

func podIPs(pod *v1.Pod) []netip.Addr {
	var addrs []netip.Addr
	for _, ip := range pod.Status.PodIPs {
		if addr, err := netip.ParseAddr(ip.IP); err == nil {
			addrs = append(addrs, addr.Unmap())
		}
	}
	if len(addrs) == 0 && pod.Status.PodIP != "" {
		if addr, err := netip.ParseAddr(pod.Status.PodIP); err == nil {
			addrs = append(addrs, addr.Unmap())
		}
	}
	return addrs
}

// namedContainerPorts reads the app containers only; ports declared on init
// containers are not resolved (a known gap for sidecar containers).
func namedContainerPorts(pod *v1.Pod) []NamedPort {
	var ports []NamedPort
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == "" {
				continue
			}
			ports = append(ports, NamedPort{Name: p.Name, Port: p.ContainerPort, Protocol: protocolOrTCP(p.Protocol)})
		}
	}
	return ports
}

func protocolOrTCP(p v1.Protocol) v1.Protocol {
	if p == "" {
		return v1.ProtocolTCP
	}
	return p
}
