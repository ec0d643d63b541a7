package objects

import (
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodOption changes a Pod being built.
type PodOption func(*v1.Pod)

// Pod is a Running pod ns/name (no node, no IP unless options say).
func Pod(ns, name string, opts ...PodOption) *v1.Pod {
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Status:     v1.PodStatus{Phase: v1.PodRunning},
	}
	for _, o := range opts {
		o(pod)
	}
	return pod
}

// OnNode schedules the pod on node.
func OnNode(node string) PodOption { return func(p *v1.Pod) { p.Spec.NodeName = node } }

// WithIPs sets status.podIP (the first) and status.podIPs; "" is none.
func WithIPs(ips ...string) PodOption {
	return func(p *v1.Pod) {
		for _, ip := range ips {
			if ip == "" {
				continue
			}
			if p.Status.PodIP == "" {
				p.Status.PodIP = ip
			}
			p.Status.PodIPs = append(p.Status.PodIPs, v1.PodIP{IP: ip})
		}
	}
}

// WithLabels sets the pod's labels from "k=v" pairs.
func WithLabels(pairs ...string) PodOption {
	return WithLabelMap(Labels(pairs...))
}

// WithLabelMap sets the pod's labels.
func WithLabelMap(labels map[string]string) PodOption {
	return func(p *v1.Pod) { p.Labels = labels }
}

// HostNetwork runs the pod in the node's network namespace.
func HostNetwork() PodOption { return func(p *v1.Pod) { p.Spec.HostNetwork = true } }

// WithContainerPort adds a named port to the pod's (single) container.
func WithContainerPort(name string, port int32, proto v1.Protocol) PodOption {
	return func(p *v1.Pod) {
		if len(p.Spec.Containers) == 0 {
			p.Spec.Containers = []v1.Container{{Name: "app"}}
		}
		c := &p.Spec.Containers[0]
		c.Ports = append(c.Ports, v1.ContainerPort{Name: name, ContainerPort: port, Protocol: proto})
	}
}

// Namespace is namespace name with labels.
func Namespace(name string, labels map[string]string) *v1.Namespace {
	return &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}
