package serve

import (
	"net/http"

	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/nodenet/nodenet/proxy"
)

// DumpPath is where the metrics server serves the desired table.
const DumpPath = "/dump"

// NewMetricsHandler serves what kube-proxy's metrics server does (/metrics,
// /healthz, /proxyMode) plus DumpPath, the desired table as DumpView JSON.
// snapshot returns the proxier's current table; proxyMode is reported
// verbatim (e.g. "iptables").
func NewMetricsHandler(snapshot func() *proxy.Table, proxyMode string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", legacyregistry.Handler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("/proxyMode", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write([]byte(proxyMode))
	})
	mux.HandleFunc(DumpPath, func(w http.ResponseWriter, _ *http.Request) {
		writeDump(w, NewDumpView(snapshot()))
	})
	return mux
}

func writeDump(w http.ResponseWriter, view DumpView) { writeJSON(w, view) }
