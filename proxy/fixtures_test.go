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

// sliceEndpoint is one endpoint's address and conditions.
type sliceEndpoint struct {
	ip                          string
	ready, serving, terminating bool
}

func makeSlice(service, name string, port int32, eps ...sliceEndpoint) *discovery.EndpointSlice {
	s := objects.EndpointSlice("default", name, service, port)
	for _, e := range eps {
		s.Endpoints = append(s.Endpoints, objects.Endpoint(e.ip, "node-a", e.ready, e.serving, e.terminating))
	}
	return s
}

func ready(ip string) sliceEndpoint { return sliceEndpoint{ip: ip, ready: true, serving: true} }

func terminating(ip string) sliceEndpoint {
	return sliceEndpoint{ip: ip, serving: true, terminating: true}
}

type discoverySlice = discovery.EndpointSlice

var errFake = errors.New("fake failure")

func ptrProto(p v1.Protocol) *v1.Protocol { return &p }
