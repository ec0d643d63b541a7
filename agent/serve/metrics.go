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
// snapshot returns the proxier's current table; cfg.Mode is reported
// verbatim (e.g. "iptables") on /proxyMode, and cfg with the dump, so a
// reader can tell what the rules do with a packet (masquerade, NodePort
// addresses).
func NewMetricsHandler(snapshot func() *proxy.Table, cfg ProxyConfigView) http.Handler {
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
		_, _ = w.Write([]byte(cfg.Mode))
	})
	mux.HandleFunc(DumpPath, func(w http.ResponseWriter, _ *http.Request) {
		view := NewDumpView(snapshot())
		view.Proxy = &cfg
		writeDump(w, view)
	})
	return mux
}

func writeDump(w http.ResponseWriter, view DumpView) { writeJSON(w, view) }
