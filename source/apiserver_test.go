package source

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

// apiServer serves a fake clientset over HTTP, so tests run the production
// Client (REST clients, codecs, content negotiation, selectors) against the
// fake's object tracker, reactors and action log.
type apiServer struct {
	fake *fake.Clientset
	srv  *httptest.Server
	done chan struct{}

	mu       sync.Mutex
	watching map[string]bool // resources with a watch opened
	watched  chan struct{}
	requests []seenRequest
}

// seenRequest is what a test may check about the wire format.
type seenRequest struct {
	method, path, accept, contentType string
}

// kindOf maps the resources nodenet uses to their kinds.
var kindOf = map[string]string{
	"services": "Service", "endpointslices": "EndpointSlice", "nodes": "Node",
	"pods": "Pod", "namespaces": "Namespace", "networkpolicies": "NetworkPolicy", "events": "Event",
}

func newAPIServer(t *testing.T, objects ...runtime.Object) *apiServer {
	t.Helper()
	s := &apiServer{fake: fake.NewClientset(objects...), done: make(chan struct{}), watching: map[string]bool{}, watched: make(chan struct{}, 1)}
	s.srv = httptest.NewServer(s)
	t.Cleanup(func() {
		close(s.done)
		s.srv.Close()
	})
	return s
}

func (s *apiServer) client(t *testing.T) *Client {
	t.Helper()
	c, err := NewClient(&rest.Config{Host: s.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *apiServer) seen() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// waitWatches blocks until n resources have a watch open: an object created
// before its informer's watch is open would never be delivered.
func (s *apiServer) waitWatches(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(eventTimeout)
	for {
		s.mu.Lock()
		opened := len(s.watching)
		s.mu.Unlock()
		if opened >= n {
			return
		}
		select {
		case <-s.watched:
		case <-deadline:
			t.Fatalf("%d resources watched, want %d", opened, n)
		}
	}
}

// request is what the URL says: /api/v1/... or /apis/group/version/...,
// then optionally namespaces/<ns>/, then the resource and optionally a name.
type request struct {
	gvr       schema.GroupVersionResource
	gvk       schema.GroupVersionKind
	namespace string
	name      string
}

func parseRequest(path string) (request, error) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var r request
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		r.gvr.Version, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		r.gvr.Group, r.gvr.Version, parts = parts[1], parts[2], parts[3:]
	default:
		return r, errors.New("not an API path")
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		r.namespace, parts = parts[1], parts[2:]
	}
	r.gvr.Resource = parts[0]
	if len(parts) > 1 {
		r.name = parts[1]
	}
	kind, ok := kindOf[r.gvr.Resource]
	if !ok {
		return r, errors.New("unknown resource " + r.gvr.Resource)
	}
	r.gvk = r.gvr.GroupVersion().WithKind(kind)
	return r, nil
}

func (s *apiServer) ServeHTTP(w http.ResponseWriter, httpReq *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, seenRequest{httpReq.Method, httpReq.URL.Path, httpReq.Header.Get("Accept"), httpReq.Header.Get("Content-Type")})
	s.mu.Unlock()
	req, err := parseRequest(httpReq.URL.Path)
	if err != nil {
		s.fail(w, httpReq, apierrors.NewNotFound(schema.GroupResource{}, httpReq.URL.Path))
		return
	}
	var opts metav1.ListOptions
	// metav1.ParameterCodec only encodes; decoding needs a scheme with the
	// group's conversions, as on a real server.
	params := runtime.NewParameterCodec(Scheme())
	if err := params.DecodeParameters(httpReq.URL.Query(), req.gvr.GroupVersion(), &opts); err != nil {
		s.fail(w, httpReq, apierrors.NewBadRequest(err.Error()))
		return
	}
	switch {
	case httpReq.Method == http.MethodGet && opts.Watch:
		s.watch(w, httpReq, req, opts)
	case httpReq.Method == http.MethodGet:
		s.list(w, httpReq, req, opts)
	default:
		s.write(w, httpReq, req)
	}
}

// list filters by label like the fake's typed clients; field selectors are
// ignored (recorded in the action log only).
func (s *apiServer) list(w http.ResponseWriter, httpReq *http.Request, req request, opts metav1.ListOptions) {
	obj, err := s.fake.Invokes(k8stesting.NewListActionWithOptions(req.gvr, req.gvk, req.namespace, opts), nil)
	if err != nil {
		s.fail(w, httpReq, err)
		return
	}
	items, err := meta.ExtractList(obj)
	if err != nil {
		s.fail(w, httpReq, err)
		return
	}
	selector, _, _ := k8stesting.ExtractFromListOptions(opts)
	var kept []runtime.Object
	for _, item := range items {
		if m, _ := meta.Accessor(item); selector.Matches(labels.Set(m.GetLabels())) {
			kept = append(kept, item)
		}
	}
	if err := meta.SetList(obj, kept); err != nil {
		s.fail(w, httpReq, err)
		return
	}
	s.respond(w, httpReq, http.StatusOK, obj, req.gvr.GroupVersion())
}

// watch answers streaming lists (sendInitialEvents) as an API server
// without that feature does, so the reflector falls back to list + watch.
func (s *apiServer) watch(w http.ResponseWriter, httpReq *http.Request, req request, opts metav1.ListOptions) {
	if opts.SendInitialEvents != nil {
		s.fail(w, httpReq, apierrors.NewBadRequest("sendInitialEvents is not supported"))
		return
	}
	watcher, err := s.fake.InvokesWatch(k8stesting.NewWatchActionWithOptions(req.gvr, req.namespace, opts))
	if err != nil {
		s.fail(w, httpReq, err)
		return
	}
	defer watcher.Stop()
	s.mu.Lock()
	s.watching[req.gvr.Resource] = true
	s.mu.Unlock()
	select {
	case s.watched <- struct{}{}:
	default:
	}

	info := negotiate(httpReq)
	w.Header().Set("Content-Type", info.MediaType+";stream=watch")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	frames := streaming.NewEncoder(info.StreamSerializer.Framer.NewFrameWriter(w), info.StreamSerializer.Serializer)
	embedded := codecs().EncoderForVersion(info.Serializer, req.gvr.GroupVersion())
	for {
		select {
		case <-httpReq.Context().Done():
			return
		case <-s.done:
			return
		case ev, ok := <-watcher.ResultChan():
			if !ok || !s.sendEvent(w, frames, embedded, ev) {
				return
			}
		}
	}
}

func (s *apiServer) sendEvent(w http.ResponseWriter, frames streaming.Encoder, embedded runtime.Encoder, ev watch.Event) bool {
	raw, err := runtime.Encode(embedded, ev.Object)
	if err != nil {
		return false
	}
	if err := frames.Encode(&metav1.WatchEvent{Type: string(ev.Type), Object: runtime.RawExtension{Raw: raw}}); err != nil {
		return false
	}
	w.(http.Flusher).Flush()
	return true
}

// write handles create, update and patch: what the event sink sends.
func (s *apiServer) write(w http.ResponseWriter, httpReq *http.Request, req request) {
	body, err := io.ReadAll(httpReq.Body)
	if err != nil {
		s.fail(w, httpReq, err)
		return
	}
	var action k8stesting.Action
	status := http.StatusOK
	switch httpReq.Method {
	case http.MethodPatch:
		action = k8stesting.NewPatchAction(req.gvr, req.namespace, req.name, types.PatchType(httpReq.Header.Get("Content-Type")), body)
	case http.MethodPost, http.MethodPut:
		obj, _, err := codecs().UniversalDeserializer().Decode(body, nil, nil)
		if err != nil {
			s.fail(w, httpReq, apierrors.NewBadRequest(err.Error()))
			return
		}
		action = k8stesting.NewUpdateAction(req.gvr, req.namespace, obj)
		if httpReq.Method == http.MethodPost {
			action, status = k8stesting.NewCreateAction(req.gvr, req.namespace, obj), http.StatusCreated
		}
	default:
		s.fail(w, httpReq, apierrors.NewMethodNotSupported(req.gvr.GroupResource(), httpReq.Method))
		return
	}
	obj, err := s.fake.Invokes(action, nil)
	if err != nil {
		s.fail(w, httpReq, err)
		return
	}
	s.respond(w, httpReq, status, obj, req.gvr.GroupVersion())
}

func (s *apiServer) fail(w http.ResponseWriter, httpReq *http.Request, err error) {
	var apiErr apierrors.APIStatus
	if !errors.As(err, &apiErr) {
		apiErr = apierrors.NewInternalError(err)
	}
	status := apiErr.Status()
	s.respond(w, httpReq, int(status.Code), &status, schema.GroupVersion{Version: "v1"})
}

func (s *apiServer) respond(w http.ResponseWriter, httpReq *http.Request, code int, obj runtime.Object, gv schema.GroupVersion) {
	info := negotiate(httpReq)
	data, err := runtime.Encode(codecs().EncoderForVersion(info.Serializer, gv), obj)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", info.MediaType)
	w.WriteHeader(code)
	_, _ = w.Write(data)
}

// negotiate picks protobuf when the client accepts it (production does),
// so the tests decode what a real server sends.
func negotiate(httpReq *http.Request) runtime.SerializerInfo {
	mediaType := "application/json"
	if strings.Contains(httpReq.Header.Get("Accept"), contentTypeProtobuf) {
		mediaType = contentTypeProtobuf
	}
	info, _ := runtime.SerializerInfoForMediaType(codecs().SupportedMediaTypes(), mediaType)
	return info
}
