//go:build e2e

package clustere2e

import (
	"context"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nodenet/nodenet/test/netns"
)

// managedBy marks the EndpointSlices the tests write, in place of the
// endpointslice controller (no controller-manager runs).
const managedBy = "nnt-cluster-e2e"

// createService creates a Service with one TCP port "echo" (port 80 to
// the pods' echoPort) and returns it as the API server allocated it
// (ClusterIP, NodePort, health-check node port).
func (c *cluster) createService(t *testing.T, namespace, name string, mutate func(*v1.Service)) *v1.Service {
	t.Helper()
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1.ServiceSpec{Ports: []v1.ServicePort{{
			Name: "echo", Protocol: v1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(echoPort)}}},
	}
	if mutate != nil {
		mutate(svc)
	}
	got, err := c.admin.CoreV1().Services(namespace).Create(context.Background(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating Service %s/%s: %v", namespace, name, err)
	}
	return got
}

// endpoint is one pod behind a Service.
type endpoint struct {
	pod  *netns.Pod
	node *node
}

// writeEndpoints creates the Service's EndpointSlice as the endpointslice
// controller would: ready endpoints with their node names, the Service's
// port, the trigger-time annotation.
func (c *cluster) writeEndpoints(t *testing.T, svc *v1.Service, eps ...endpoint) {
	t.Helper()
	slice := endpointSlice(svc, eps...)
	if _, err := c.admin.DiscoveryV1().EndpointSlices(svc.Namespace).Create(context.Background(), slice, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the EndpointSlice of %s/%s: %v", svc.Namespace, svc.Name, err)
	}
}

// replaceEndpoints makes eps the endpoints of the Service's slice.
func (c *cluster) replaceEndpoints(t *testing.T, svc *v1.Service, eps ...endpoint) {
	t.Helper()
	slices := c.admin.DiscoveryV1().EndpointSlices(svc.Namespace)
	old, err := slices.Get(context.Background(), svc.Name+"-nnt", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	slice := endpointSlice(svc, eps...)
	slice.ResourceVersion = old.ResourceVersion
	if _, err := slices.Update(context.Background(), slice, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("updating the EndpointSlice of %s/%s: %v", svc.Namespace, svc.Name, err)
	}
}

func endpointSlice(svc *v1.Service, eps ...endpoint) *discovery.EndpointSlice {
	ready := true
	slice := &discovery.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: svc.Name + "-nnt", Namespace: svc.Namespace,
			Labels: map[string]string{discovery.LabelServiceName: svc.Name, discovery.LabelManagedBy: managedBy},
			Annotations: map[string]string{
				v1.EndpointsLastChangeTriggerTime: time.Now().UTC().Format(time.RFC3339Nano)},
		},
		AddressType: discovery.AddressTypeIPv4,
	}
	for _, p := range svc.Spec.Ports {
		port, proto, name := p.TargetPort.IntVal, p.Protocol, p.Name
		slice.Ports = append(slice.Ports, discovery.EndpointPort{Name: &name, Port: &port, Protocol: &proto})
	}
	for _, ep := range eps {
		nodeName := ep.node.name
		slice.Endpoints = append(slice.Endpoints, discovery.Endpoint{
			Addresses: []string{ep.pod.IP}, NodeName: &nodeName,
			Conditions: discovery.EndpointConditions{Ready: &ready},
		})
	}
	return slice
}
