package controller

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/nodenet/nodenet/test/objects"
)

func TestSyncMetrics(t *testing.T) {
	enforcer := &fakeEnforcer{}
	c := newTestController(enforcer)
	h := handlersOf(c.store)
	h.OnPodAdd(objects.Pod("x", "target", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"), objects.WithLabelMap(map[string]string{"app": "target"})))
	h.OnPodAdd(objects.Pod("x", "other", objects.OnNode(thisNode), objects.WithIPs("10.1.0.11")))
	h.OnNetworkPolicyAdd(allowFrom("x", "bad", "", "10.2.0.0/33"))
	syncAll(h)
	mustSync(t, c)
	wantMetrics(t, "nodenet_netpol_isolated_pods 1", "nodenet_netpol_invalid_policies 1",
		`nodenet_netpol_sync_duration_seconds_count{kind="full"}`)

	h.OnNetworkPolicyDelete(allowFrom("x", "bad", "", ""))
	enforcer.setFailing(true)
	_ = c.sync()
	wantMetrics(t, "nodenet_netpol_isolated_pods 0", "nodenet_netpol_invalid_policies 0",
		"nodenet_netpol_sync_errors_total ")
}

// wantMetrics checks that /metrics has a line starting with each prefix.
func wantMetrics(t *testing.T, prefixes ...string) {
	t.Helper()
	rec := httptest.NewRecorder()
	legacyregistry.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	lines := strings.Split(rec.Body.String(), "\n")
	for _, prefix := range prefixes {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, prefix)
		}
		if !found {
			t.Errorf("/metrics has no line starting with %q", prefix)
		}
	}
}
