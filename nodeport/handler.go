package nodeport

import (
	"encoding/json"
	"net/http"
	"strconv"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// answer is kube-proxy's health-check body, field for field, so tooling
// written for kube-proxy reads it.
type answer struct {
	Service struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"service"`
	LocalEndpoints      int  `json:"localEndpoints"`
	ServiceProxyHealthy bool `json:"serviceProxyHealthy"`
}

// handler answers every path (kube-proxy does too) with 200 when this node
// has a local endpoint and the proxy is healthy, else 503. The weight
// header lets a load balancer share traffic by local endpoint count.
func (h *HealthServers) handler(name types.NamespacedName) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n, _ := h.localEndpoints(name)
		var a answer
		a.Service.Namespace, a.Service.Name = name.Namespace, name.Name
		a.LocalEndpoints = n
		a.ServiceProxyHealthy = h.healthy()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Load-Balancing-Endpoint-Weight", strconv.Itoa(n))
		code := http.StatusOK
		if n == 0 || !a.ServiceProxyHealthy {
			code = http.StatusServiceUnavailable
		}
		w.WriteHeader(code)
		if err := json.NewEncoder(w).Encode(a); err != nil {
			klog.V(4).InfoS("Failed to write a health-check answer", "service", name, "err", err)
		}
	})
}
