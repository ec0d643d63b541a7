package source

import (
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// stripPod is the Pod informer's transform. It keeps only what the firewall
// reads (identity, labels, node, host networking, container ports for named
// ports, phase and IPs, and the deletionTimestamp that tells a terminating
// pod whose IP a new pod may already have), so that caching every Pod of a 10k-pod cluster
// costs little memory. It copies into a new Pod (an allow list) rather than
// clearing fields, so fields added to the API later are dropped too. Other
// objects (tombstones) pass unchanged.
func stripPod(obj any) (any, error) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return obj, nil
	}
	return &v1.Pod{
		TypeMeta: pod.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name:            pod.Name,
			Namespace:       pod.Namespace,
			UID:             pod.UID,
			ResourceVersion: pod.ResourceVersion,
			Labels:          pod.Labels,
			// The firewall's Store settles an IP two pods list in favour
			// of the one not being deleted.
			DeletionTimestamp: pod.DeletionTimestamp,
		},
		Spec: v1.PodSpec{
			NodeName:    pod.Spec.NodeName,
			HostNetwork: pod.Spec.HostNetwork,
			Containers:  stripContainers(pod.Spec.Containers),
		},
		Status: v1.PodStatus{
			Phase:  pod.Status.Phase,
			PodIP:  pod.Status.PodIP,
			PodIPs: pod.Status.PodIPs,
		},
	}, nil
}

// stripContainers keeps each container's name and ports: NetworkPolicy
// ports may name a container port.
func stripContainers(containers []v1.Container) []v1.Container {
	if containers == nil {
		return nil
	}
	out := make([]v1.Container, len(containers))
	for i, c := range containers {
		out[i] = v1.Container{Name: c.Name, Ports: c.Ports}
	}
	return out
}
