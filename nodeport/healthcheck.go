// Package nodeport serves what a node offers on its own addresses for
// Services, beyond the packet rules: today the health-check node ports of
// Services with externalTrafficPolicy Local.
package nodeport

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/proxy"
)

// HealthServers runs one HTTP server per Service with a health-check node
// port, as kube-proxy's pkg/proxy/healthcheck does: load balancers probe it
// on every node and send traffic only to nodes answering 200, the ones with
// a local endpoint.
type HealthServers struct {
	// healthy reports the proxy's own health (serviceProxyHealthy).
	healthy func() bool
	listen  func(port int32) (net.Listener, error)

	mu      sync.Mutex // guards the fields below
	servers map[types.NamespacedName]*healthServer
	state   map[types.NamespacedName]proxy.HealthCheck
	failed  map[types.NamespacedName]int32 // ports whose bind failure was logged
}

// NewHealthServers returns servers that listen on every node address (as
// kube-proxy without --nodeport-addresses) and report healthy's answer.
func NewHealthServers(healthy func() bool) *HealthServers {
	return newHealthServers(healthy, func(port int32) (net.Listener, error) {
		return net.Listen("tcp", ":"+strconv.Itoa(int(port)))
	})
}

func newHealthServers(healthy func() bool, listen func(int32) (net.Listener, error)) *HealthServers {
	return &HealthServers{
		healthy: healthy, listen: listen,
		servers: map[types.NamespacedName]*healthServer{},
		state:   map[types.NamespacedName]proxy.HealthCheck{},
		failed:  map[types.NamespacedName]int32{},
	}
}

// SyncHealthChecks implements proxy.HealthCheckSink: it opens a server for
// each new Service (or new port), closes the ones of Services gone, and
// retries ports that could not be bound before.
func (h *HealthServers) SyncHealthChecks(services map[types.NamespacedName]proxy.HealthCheck) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.state = services
	for name, srv := range h.servers {
		if hc, ok := services[name]; !ok || hc.NodePort != srv.port {
			srv.close()
			delete(h.servers, name)
		}
	}
	for name := range h.failed {
		if hc, ok := services[name]; !ok || hc.NodePort != h.failed[name] {
			delete(h.failed, name)
		}
	}
	for name, hc := range services {
		if h.servers[name] == nil {
			h.open(name, hc.NodePort)
		}
	}
}

// open starts name's server; a failure is logged once per Service and port
// and retried at the next sync (the port may be freed).
func (h *HealthServers) open(name types.NamespacedName, port int32) {
	ln, err := h.listen(port)
	if err != nil {
		if h.failed[name] != port {
			klog.ErrorS(fmt.Errorf("listen on health-check node port %d: %w", port, err),
				"Failed to open a health-check node port; retrying at each sync", "service", name, "port", port)
			h.failed[name] = port
		}
		return
	}
	delete(h.failed, name)
	srv := &healthServer{port: port, http: &http.Server{Handler: h.handler(name), ReadHeaderTimeout: 5 * time.Second}}
	h.servers[name] = srv
	go func() {
		if err := srv.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			klog.ErrorS(err, "Health-check node port server stopped", "service", name, "port", port)
		}
	}()
	klog.V(2).InfoS("Opened health-check node port", "service", name, "port", port)
}

// Close stops every server.
func (h *HealthServers) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, srv := range h.servers {
		srv.close()
		delete(h.servers, name)
	}
}

// localEndpoints reads name's current count; ok is false once the Service
// is gone (its server is closing).
func (h *HealthServers) localEndpoints(name types.NamespacedName) (int, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	hc, ok := h.state[name]
	return hc.LocalEndpoints, ok
}

type healthServer struct {
	port int32
	http *http.Server
}

// close does not wait for answers in flight: it runs under the proxier's
// and our locks, which those answers may be waiting for.
func (s *healthServer) close() { _ = s.http.Close() }
