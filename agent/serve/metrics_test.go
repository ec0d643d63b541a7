package serve

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/proxy"
)

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestMetricsHandlerSimpleEndpoints(t *testing.T) {
	h := NewMetricsHandler(proxy.NewTable, ProxyConfigView{Mode: "iptables"})
	tests := []struct {
		path     string
		wantCode int
		wantBody string
	}{
		{"/healthz", http.StatusOK, "ok"},
		{"/proxyMode", http.StatusOK, "iptables"},
		{"/nope", http.StatusNotFound, "404 page not found\n"},
	}
	for _, tt := range tests {
		rec := get(t, h, tt.path)
		if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
			t.Errorf("GET %s = %d %q, want %d %q", tt.path, rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
		}
	}
	if rec := get(t, h, "/metrics"); rec.Code != http.StatusOK {
		t.Errorf("GET /metrics = %d", rec.Code)
	}
}

func TestMetricsHandlerDump(t *testing.T) {
	table := sampleTable()
	h := NewMetricsHandler(func() *proxy.Table { return table }, ProxyConfigView{Mode: "iptables"})
	rec := get(t, h, DumpPath)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	var view DumpView
	if err := json.Unmarshal(rec.Body.Bytes(), &view); err != nil {
		t.Fatalf("decoding /dump: %v", err)
	}
	var names []string
	for _, sp := range view.ServicePorts {
		names = append(names, sp.Service+":"+sp.PortName)
	}
	want := []string{"default/web:http", "default/web:https", "kube-system/dns:"}
	if len(names) != len(want) {
		t.Fatalf("service ports = %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("service ports = %v, want %v (sorted)", names, want)
		}
	}
	eps := view.ServicePorts[0].Endpoints
	if len(eps) != 2 || eps[0].Address != "10.244.1.2:8080" || eps[1].Address != "10.244.2.9:8080" {
		t.Errorf("endpoints not sorted by address: %+v", eps)
	}
	if !eps[0].Ready || eps[0].NodeName != "node-a" {
		t.Errorf("endpoint fields lost: %+v", eps[0])
	}
	if got := view.ServicePorts[2].Endpoints; got == nil || len(got) != 0 {
		t.Errorf("service without endpoints: endpoints = %#v, want empty non-nil", got)
	}
}

func TestNewDumpViewNilTable(t *testing.T) {
	view := NewDumpView(nil)
	if view.ServicePorts == nil || len(view.ServicePorts) != 0 {
		t.Errorf("NewDumpView(nil) = %#v, want empty list", view)
	}
}

func sampleTable() *proxy.Table {
	t := proxy.NewTable()
	web := types.NamespacedName{Namespace: "default", Name: "web"}
	webHTTP := proxy.ServicePortName{NamespacedName: web, Port: "http", Protocol: v1.ProtocolTCP}
	webHTTPS := proxy.ServicePortName{NamespacedName: web, Port: "https", Protocol: v1.ProtocolTCP}
	dns := proxy.ServicePortName{NamespacedName: types.NamespacedName{Namespace: "kube-system", Name: "dns"}, Protocol: v1.ProtocolUDP}
	t.Services[webHTTPS] = &proxy.ServicePort{Name: webHTTPS, ClusterIPs: addrs("10.96.0.10"), Port: 443, Protocol: v1.ProtocolTCP}
	t.Services[dns] = &proxy.ServicePort{Name: dns, ClusterIPs: addrs("10.96.0.53"), Port: 53, Protocol: v1.ProtocolUDP}
	t.Services[webHTTP] = &proxy.ServicePort{Name: webHTTP, ClusterIPs: addrs("10.96.0.10"), Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080}
	t.Endpoints[webHTTP] = []proxy.Endpoint{
		{Addr: netip.MustParseAddr("10.244.2.9"), Port: 8080, Serving: true, Terminating: true, NodeName: "node-b"},
		{Addr: netip.MustParseAddr("10.244.1.2"), Port: 8080, Ready: true, Serving: true, NodeName: "node-a"},
	}
	return t
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}
