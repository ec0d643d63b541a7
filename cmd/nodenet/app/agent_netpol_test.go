package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/source"
)

func TestNetpolOffWatchesNothing(t *testing.T) {
	cfg := &agentConfig{NodeName: "node-a", Netpol: netpolConfig{Enabled: false}}
	ctrl := newNetpolController(t.Context(), cfg, nil, nil)
	if ctrl != nil {
		t.Fatal("--netpol=false built a controller")
	}
	h := withNetpol(proxyHandlers(newTestProxier()), ctrl)
	if h.Pods != nil || h.Namespaces != nil || h.NetworkPolicies != nil {
		t.Error("--netpol=false still asks the source for Pods, Namespaces or NetworkPolicies")
	}
	if _, fanout := h.Nodes.(source.NodeFanout); fanout {
		t.Error("--netpol=false added a Node handler")
	}
	if len(runLoops(newTestProxier(), ctrl)) != 1 {
		t.Error("--netpol=false runs a second loop")
	}
}

func TestNetpolOnAddsHandlersBesideTheProxier(t *testing.T) {
	cfg := &agentConfig{NodeName: "node-a", Netpol: netpolConfig{Enabled: true, LogGroup: 100}}
	// The firewall is created lazily, at the first sync: nothing here
	// touches the kernel.
	ctrl := newNetpolController(t.Context(), cfg, nil, nil)
	p := newTestProxier()
	h := withNetpol(proxyHandlers(p), ctrl)
	if h.Pods == nil || h.Namespaces == nil || h.NetworkPolicies == nil {
		t.Fatal("the controller's handlers are missing")
	}
	if h.Services == nil || h.EndpointSlices == nil {
		t.Error("the proxier's handlers were dropped")
	}
	fanout, ok := h.Nodes.(source.NodeFanout)
	if !ok || len(fanout) != 2 {
		t.Fatalf("Nodes = %T, want the proxier's and the controller's", h.Nodes)
	}
	fanout.OnNodeAdd(&v1.Node{}) // both get it without panicking
	if len(runLoops(p, ctrl)) != 2 {
		t.Error("the controller's loop is not run")
	}
}

func TestMetricsServerNetpolPaths(t *testing.T) {
	p := newTestProxier()
	tests := []struct {
		name     string
		handler  http.Handler
		path     string
		wantCode int
		wantBody string
	}{
		{"off", metricsHandler(p, serve.ProxyConfigView{Mode: "iptables"}, nil), "/netpol/policies", http.StatusNotFound, "--netpol=false"},
		{"not synced", metricsHandler(p, serve.ProxyConfigView{Mode: "iptables"}, netpolModel(newNetpolController(t.Context(), &agentConfig{Netpol: netpolConfig{Enabled: true}}, nil, nil))),
			"/netpol/trace?from=x/a&to=x/b&port=80", http.StatusServiceUnavailable, "not computed yet"},
		{"dump still served", metricsHandler(p, serve.ProxyConfigView{Mode: "iptables"}, nil), "/dump", http.StatusOK, "servicePorts"},
		{"unknown path", metricsHandler(p, serve.ProxyConfigView{Mode: "iptables"}, nil), "/nope", http.StatusNotFound, "404 page not found"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		tt.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
			t.Errorf("%s: GET %s = %d %q, want %d with %q", tt.name, tt.path, rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
		}
	}
}
