package proxy

import (
	"errors"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"

	"github.com/nodenet/nodenet/test/objects"
)

// The proxy's fixtures: test/objects' builders in namespace default, with
// endpoints on node-a (this node in newTestProxier).

func makeService(name, clusterIP string, mutate ...func(*v1.Service)) *v1.Service {
	return objects.Service("default", name, clusterIP, mutate...)
}

func makeSlice(service, name string, port int32, eps ...discovery.Endpoint) *discovery.EndpointSlice {
	return objects.EndpointSlice("default", name, service, port, eps...)
}

func ready(ip string) discovery.Endpoint { return objects.Ready(ip, "node-a") }

func terminating(ip string) discovery.Endpoint { return objects.Terminating(ip, "node-a") }

type discoverySlice = discovery.EndpointSlice

var errFake = errors.New("fake failure")

func ptrProto(p v1.Protocol) *v1.Protocol { return &p }
