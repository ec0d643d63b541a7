package source

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// Like kube-proxy, the client asks for protobuf first and sends it; the
// test server then answers in protobuf, so the informer tests decode what a
// real API server sends.
func TestClientSpeaksProtobuf(t *testing.T) {
	server := newAPIServer(t, service("default", "web", 80, nil))
	startInformersOn(t, server, Handlers{Services: newRecorder()})
	if _, err := server.client(t).EventSink(t.Context()).Create(&v1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "e"}}); err != nil {
		t.Fatal(err)
	}

	for _, r := range server.seen() {
		if !strings.HasPrefix(r.accept, contentTypeProtobuf+",") {
			t.Errorf("%s %s: Accept %q, want protobuf first", r.method, r.path, r.accept)
		}
		if r.method == "POST" && r.contentType != contentTypeProtobuf {
			t.Errorf("POST %s: Content-Type %q, want protobuf", r.path, r.contentType)
		}
	}
}

func TestSchemeKnowsOnlyNodenetGroups(t *testing.T) {
	for _, k := range kinds {
		if !Scheme().Recognizes(k.gvk) {
			t.Errorf("scheme does not know %s", k.gvk)
		}
	}
	if gvk := v1.SchemeGroupVersion.WithKind("Event"); !Scheme().Recognizes(gvk) {
		t.Errorf("scheme does not know %s, which the event sink writes", gvk)
	}
	for _, gv := range []schema.GroupVersion{{Group: "apps", Version: "v1"}, {Group: "events.k8s.io", Version: "v1"}} {
		if Scheme().IsVersionRegistered(gv) {
			t.Errorf("scheme registers %s: keep it to the groups nodenet uses", gv)
		}
	}
}

func TestNewClientRejectsQPSWithoutBurst(t *testing.T) {
	_, err := NewClient(&rest.Config{Host: "https://127.0.0.1:6443", QPS: 5})
	if err == nil {
		t.Fatalf("NewClient with QPS and no burst: err = %v, want an error", err)
	}
}
