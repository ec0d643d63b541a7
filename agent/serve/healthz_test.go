package serve

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/proxy"
)

var (
	lastSync = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fixedNow = lastSync.Add(10 * time.Second)
)

func TestHealthzHandler(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		state    proxy.HealthState
		wantCode int
		wantBody string
	}{
		{
			name:     "healthz healthy reports now as lastUpdated",
			path:     "/healthz",
			state:    proxy.HealthState{Healthy: true, LastSynced: lastSync},
			wantCode: http.StatusOK,
			wantBody: `{"lastUpdated": "2026-01-02 03:04:15 +0000 UTC","currentTime": "2026-01-02 03:04:15 +0000 UTC", "nodeEligible": true}`,
		},
		{
			name:     "healthz unhealthy reports last sync",
			path:     "/healthz",
			state:    proxy.HealthState{Healthy: false, LastSynced: lastSync},
			wantCode: http.StatusServiceUnavailable,
			wantBody: `{"lastUpdated": "2026-01-02 03:04:05 +0000 UTC","currentTime": "2026-01-02 03:04:15 +0000 UTC", "nodeEligible": true}`,
		},
		{
			name:     "healthz fails while the Node drains (KEP-3836)",
			path:     "/healthz",
			state:    proxy.HealthState{Healthy: true, NodeDraining: true, LastSynced: lastSync},
			wantCode: http.StatusServiceUnavailable,
			wantBody: `{"lastUpdated": "2026-01-02 03:04:15 +0000 UTC","currentTime": "2026-01-02 03:04:15 +0000 UTC", "nodeEligible": false}`,
		},
		{
			name:     "livez ignores a draining Node",
			path:     "/livez",
			state:    proxy.HealthState{Healthy: true, NodeDraining: true},
			wantCode: http.StatusOK,
			wantBody: `{"lastUpdated": "2026-01-02 03:04:15 +0000 UTC","currentTime": "2026-01-02 03:04:15 +0000 UTC"}`,
		},
		{
			name:     "livez healthy",
			path:     "/livez",
			state:    proxy.HealthState{Healthy: true},
			wantCode: http.StatusOK,
			wantBody: `{"lastUpdated": "2026-01-02 03:04:15 +0000 UTC","currentTime": "2026-01-02 03:04:15 +0000 UTC"}`,
		},
		{
			name:     "livez never synced",
			path:     "/livez",
			state:    proxy.HealthState{},
			wantCode: http.StatusServiceUnavailable,
			wantBody: `{"lastUpdated": "0001-01-01 00:00:00 +0000 UTC","currentTime": "2026-01-02 03:04:15 +0000 UTC"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHealthzHandler(func() proxy.HealthState { return tt.state }, func() time.Time { return fixedNow })
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantCode)
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("body =\n%s\nwant\n%s", got, tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestHealthzHandlerMonotonicClockIsHidden(t *testing.T) {
	h := NewHealthzHandler(func() proxy.HealthState { return proxy.HealthState{Healthy: true} }, time.Now)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if strings.Contains(rec.Body.String(), "m=") {
		t.Errorf("body leaks the monotonic clock: %s", rec.Body.String())
	}
}
