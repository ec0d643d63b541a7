package serve

import (
	"encoding/json"
	"errors"
	"net/http"

	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/netpolview"
)

// Paths of the NetworkPolicy views on the metrics server.
const (
	NetpolPoliciesPath = "/netpol/policies"
	NetpolTracePath    = "/netpol/trace"
)

// NewNetpolHandler serves NetpolPoliciesPath and NetpolTracePath from the
// latest Model (model returns nil until the first sync; the answer is then
// 503, so a caller can wait for the agent rather than trust an empty view).
func NewNetpolHandler(model func() *netpol.Model) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(NetpolPoliciesPath, func(w http.ResponseWriter, _ *http.Request) {
		m := model()
		if m == nil {
			http.Error(w, notSyncedYet, http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, netpolview.NewPoliciesView(m))
	})
	mux.HandleFunc(NetpolTracePath, func(w http.ResponseWriter, r *http.Request) {
		serveTrace(w, r, model())
	})
	return mux
}

// NewNetpolDisabledHandler answers the netpol paths of an agent running
// with --netpol=false, saying so instead of a bare 404.
func NewNetpolDisabledHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "NetworkPolicy enforcement is off on this agent (--netpol=false)", http.StatusNotFound)
	})
}

const notSyncedYet = "NetworkPolicy model not computed yet: the agent waits for its initial Pods, Namespaces, NetworkPolicies and Node"

// serveTrace answers a query: 400 when it cannot be parsed, 404 when an
// endpoint cannot be resolved, else the verdict (allowed or not) with 200.
func serveTrace(w http.ResponseWriter, r *http.Request, m *netpol.Model) {
	q := r.URL.Query()
	query := netpolview.TraceQuery{From: q.Get("from"), To: q.Get("to"), Port: q.Get("port")}
	if _, _, _, _, err := query.Parse(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if m == nil {
		http.Error(w, notSyncedYet, http.StatusServiceUnavailable)
		return
	}
	view, err := netpolview.Trace(m, query)
	switch {
	case errors.Is(err, netpolview.ErrTraceLookup):
		http.Error(w, err.Error(), http.StatusNotFound)
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadRequest)
	default:
		writeJSON(w, view)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		// Cannot happen with the views' field types; answer rather than panic.
		klog.ErrorS(err, "Failed to encode JSON answer")
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(append(body, '\n'))
}
