package serve

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/nodenet/nodenet/proxy"
)

func countOf(t *testing.T, m any) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.(prometheus.Metric).Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.GetCounter().GetValue()
}

// TestHealthAnswersAreCounted: kube-proxy's proxy_healthz_total and
// proxy_livez_total count every answer by its status code.
func TestHealthAnswersAreCounted(t *testing.T) {
	state := proxy.HealthState{Healthy: true, NodeDraining: true}
	h := NewHealthzHandler(func() proxy.HealthState { return state }, time.Now)
	healthz503, livez200 := countOf(t, healthzTotal.WithLabelValues("503")), countOf(t, livezTotal.WithLabelValues("200"))
	for _, path := range []string{"/healthz", "/livez"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	if got := countOf(t, healthzTotal.WithLabelValues("503")); got != healthz503+1 {
		t.Errorf("proxy_healthz_total{code=503} %v -> %v, want one more", healthz503, got)
	}
	if got := countOf(t, livezTotal.WithLabelValues("200")); got != livez200+1 {
		t.Errorf("proxy_livez_total{code=200} %v -> %v, want one more", livez200, got)
	}
}
