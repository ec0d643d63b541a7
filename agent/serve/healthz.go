// Package serve holds nodenet's HTTP endpoints: the healthz server that
// load balancers and kubelet probe, and the metrics server that Prometheus
// scrapes and `nodenet dump` reads. Handlers take plain functions so they
// can be tested without a running proxier.
package serve

import (
	"fmt"
	"net/http"
	"time"

	"github.com/nodenet/nodenet/proxy"
)

// NewHealthzHandler serves /healthz and /livez with kube-proxy's status
// codes and JSON bodies, so existing probes and external load balancer
// health checks work unchanged. health reports the proxier's sync state;
// now is the clock (time.Now outside tests).
func NewHealthzHandler(health func() proxy.HealthState, now func() time.Time) http.Handler {
	registerHealthMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		countHealth(healthzTotal, writeHealth(w, health(), now(), true))
	})
	mux.HandleFunc("/livez", func(w http.ResponseWriter, _ *http.Request) {
		countHealth(livezTotal, writeHealth(w, health(), now(), false))
	})
	return mux
}

// writeHealth writes kube-proxy's body byte for byte (including its odd
// spacing): some health checkers match on it. /livez omits nodeEligible,
// as kube-proxy's does. It returns the status code written.
func writeHealth(w http.ResponseWriter, state proxy.HealthState, now time.Time, withNode bool) int {
	// A Node being deleted or tainted for removal fails /healthz so load
	// balancers drain it early (KEP-3836); /livez ignores it.
	nodeEligible := !state.NodeDraining
	healthy := state.Healthy && (!withNode || nodeEligible)
	lastUpdated := state.LastSynced
	if state.Healthy { // the proxy's own state, as kube-proxy's isHealthy
		// kube-proxy reports "now" when healthy: older releases bumped
		// lastUpdated on every loop and clients compare it to currentTime.
		lastUpdated = now
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	code := http.StatusOK
	if !healthy {
		code = http.StatusServiceUnavailable
	}
	w.WriteHeader(code)
	// Round(0) drops the monotonic clock reading ("m=+1.2"), which means
	// nothing outside this process.
	last, current := lastUpdated.Round(0), now.Round(0)
	if withNode {
		fmt.Fprintf(w, `{"lastUpdated": %q,"currentTime": %q, "nodeEligible": %v}`, last, current, nodeEligible)
		return code
	}
	fmt.Fprintf(w, `{"lastUpdated": %q,"currentTime": %q}`, last, current)
	return code
}
