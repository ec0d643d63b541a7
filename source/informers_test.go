package source

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/nodenet/nodenet/test/objects"
)

const eventTimeout = 5 * time.Second

func service(namespace, name string, port int32, labels map[string]string) *v1.Service {
	return objects.Service(namespace, name, "", func(s *v1.Service) {
		s.Labels = labels
		s.Spec.Ports[0].Port = port
	})
}

// endpointSlice is a slice of one address with labels only (no port, no
// conditions): what the informers' label filters look at.
func endpointSlice(namespace, name string, address string, labels map[string]string) *discovery.EndpointSlice {
	s := objects.EndpointSlice(namespace, name, "", 0, discovery.Endpoint{Addresses: []string{address}})
	s.Labels, s.Ports = labels, nil
	return s
}

// startInformers runs the informers against a fake clientset served over
// HTTP, and returns once every watch is open, so that changes the test makes
// through the returned clientset are seen.
func startInformers(t *testing.T, h Handlers, objects ...runtime.Object) *fake.Clientset {
	t.Helper()
	server := newAPIServer(t, objects...)
	startInformersOn(t, server, h)
	return server.fake
}

func startInformersOn(t *testing.T, server *apiServer, h Handlers) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// Fail instead of hanging when the caches never sync.
	timer := time.AfterFunc(eventTimeout, cancel)
	err := RunInformers(ctx, server.client(t), "node-a", h, 0)
	timer.Stop()
	if err != nil {
		t.Fatalf("RunInformers: %v", err)
	}
	server.waitWatches(t, watchedKinds(h))
}

func watchedKinds(h Handlers) int {
	n := 0
	for _, k := range kinds {
		if k.bind(h, "node-a") != nil {
			n++
		}
	}
	return n
}

func TestInformersInitialListThenSyncedOnce(t *testing.T) {
	r := newRecorder()
	startInformers(t, r.handlers(),
		service("default", "web", 80, nil),
		service("default", "other-proxy", 80, map[string]string{"service.kubernetes.io/service-proxy-name": "other"}),
		endpointSlice("default", "web-abc", "10.0.0.1", map[string]string{discovery.LabelServiceName: "web"}),
		endpointSlice("default", "headless-abc", "10.0.0.2", map[string]string{v1.IsHeadlessService: ""}),
		objects.Node("node-a", objects.NodeLabels(nil)),
		objects.Node("node-b", objects.NodeLabels(nil)),
	)

	// RunInformers blocks until synced: no waiting needed.
	got := r.texts(0)
	want := []string{"add Service default/web", "add EndpointSlice default/web-abc", "add Node node-a"}
	if !containsAll(got, want) || len(got) != len(want)+3 {
		t.Fatalf("initial events = %q, want exactly %q plus three synced", got, want)
	}
	// Synced comes last, once per kind, in table order.
	wantSynced := []string{"synced Service", "synced EndpointSlice", "synced Node"}
	if tail := got[len(got)-3:]; !slices.Equal(tail, wantSynced) {
		t.Fatalf("events end with %q, want %q", tail, wantSynced)
	}
}

func TestInformersSendKubeProxySelectors(t *testing.T) {
	r := newRecorder()
	client := startInformers(t, r.handlers())

	want := map[string]struct{ labels, fields string }{
		"services":       {labels: "!service.kubernetes.io/service-proxy-name"},
		"endpointslices": {labels: "!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name"},
		"nodes":          {fields: "metadata.name=node-a"},
	}
	seen := map[string]bool{}
	for _, action := range client.Actions() {
		list, ok := action.(k8stesting.ListAction)
		if !ok {
			continue
		}
		resource := action.GetResource().Resource
		w, known := want[resource]
		if !known {
			t.Errorf("unexpected list of %s", resource)
			continue
		}
		restrictions := list.GetListRestrictions()
		if got := restrictions.Labels.String(); got != w.labels {
			t.Errorf("%s label selector = %q, want %q", resource, got, w.labels)
		}
		if got := restrictions.Fields.String(); got != w.fields {
			t.Errorf("%s field selector = %q, want %q", resource, got, w.fields)
		}
		seen[resource] = true
	}
	if len(seen) != len(want) {
		t.Errorf("listed %v, want all of %v", seen, want)
	}
}

func TestInformersDeliverServiceChanges(t *testing.T) {
	r := newRecorder()
	client := startInformers(t, r.handlers(), service("default", "web", 80, nil))
	ctx := context.Background()
	services := client.CoreV1().Services("default")

	mark := r.count()
	if _, err := services.Create(ctx, service("default", "api", 8080, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, mark, eventTimeout, "add Service default/api")

	mark = r.count()
	if _, err := services.Update(ctx, service("default", "web", 81, nil), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, mark, eventTimeout, "update Service default/web")
	update, _ := r.last("update Service default/web")
	if oldPort, newPort := update.old.(*v1.Service).Spec.Ports[0].Port, update.obj.(*v1.Service).Spec.Ports[0].Port; oldPort != 80 || newPort != 81 {
		t.Errorf("update ports old=%d new=%d, want 80 -> 81", oldPort, newPort)
	}

	mark = r.count()
	if err := services.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, mark, eventTimeout, "delete Service default/web")
	assertSyncedOnce(t, r)
}

func TestInformersDeliverEndpointSliceChanges(t *testing.T) {
	r := newRecorder()
	client := startInformers(t, r.handlers())
	ctx := context.Background()
	slices := client.DiscoveryV1().EndpointSlices("default")

	mark := r.count()
	if _, err := slices.Create(ctx, endpointSlice("default", "web-abc", "10.0.0.1", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, mark, eventTimeout, "add EndpointSlice default/web-abc")

	mark = r.count()
	if _, err := slices.Update(ctx, endpointSlice("default", "web-abc", "10.0.0.9", nil), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, mark, eventTimeout, "update EndpointSlice default/web-abc")
	update, _ := r.last("update EndpointSlice default/web-abc")
	if got := update.obj.(*discovery.EndpointSlice).Endpoints[0].Addresses[0]; got != "10.0.0.9" {
		t.Errorf("updated address = %s, want 10.0.0.9", got)
	}

	mark = r.count()
	if err := slices.Delete(ctx, "web-abc", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, mark, eventTimeout, "delete EndpointSlice default/web-abc")
	assertSyncedOnce(t, r)
}

// The fake client ignores field selectors, so other nodes do reach the
// informer here: this proves the sink's own-node filter.
func TestInformersDeliverOnlyOwnNode(t *testing.T) {
	r := newRecorder()
	client := startInformers(t, r.handlers(), objects.Node("node-a", objects.NodeLabels(nil)), objects.Node("node-b", objects.NodeLabels(nil)))
	ctx := context.Background()
	nodes := client.CoreV1().Nodes()

	mark := r.count()
	if _, err := nodes.Update(ctx, objects.Node("node-b", objects.NodeLabels(map[string]string{"x": "1"})), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := nodes.Update(ctx, objects.Node("node-a", objects.NodeLabels(map[string]string{"x": "1"})), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Events of one informer arrive in order, so once node-a's update is
	// here node-b's would have been too.
	r.waitFor(t, mark, eventTimeout, "update Node node-a")
	for _, text := range r.texts(0) {
		if text == "add Node node-b" || text == "update Node node-b" {
			t.Errorf("got %q: only the agent's own node may be delivered", text)
		}
	}

	mark = r.count()
	if err := nodes.Delete(ctx, "node-a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, mark, eventTimeout, "delete Node node-a")
	assertSyncedOnce(t, r)
}

func TestInformersSkipKindsWithoutHandler(t *testing.T) {
	r := newRecorder()
	client := startInformers(t, Handlers{Services: r}, objects.Node("node-a", objects.NodeLabels(nil)))

	if got, want := r.texts(0), []string{"synced Service"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
	for _, action := range client.Actions() {
		if resource := action.GetResource().Resource; resource != "services" {
			t.Errorf("%s %s: only services have a handler", action.GetVerb(), resource)
		}
	}
}

func TestInformersFailWhenContextEndsBeforeSync(t *testing.T) {
	r := newRecorder()
	server := newAPIServer(t)
	server.fake.PrependReactor("list", "services", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("apiserver unavailable")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()

	err := RunInformers(ctx, server.client(t), "node-a", r.handlers(), 0)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunInformers error = %v, want one wrapping context.DeadlineExceeded", err)
	}
	for _, text := range r.texts(0) {
		if text == "synced Service" || text == "synced EndpointSlice" || text == "synced Node" {
			t.Errorf("got %q although caches never synced", text)
		}
	}
}

func TestInformerHandlerUnwrapsTombstones(t *testing.T) {
	r := newRecorder()
	handler := informerHandler(bindServices(r.handlers(), "node-a"))

	handler.OnDelete(cache.DeletedFinalStateUnknown{Key: "default/web", Obj: service("default", "web", 80, nil)})

	if got, want := r.texts(0), []string{"delete Service default/web"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

func assertSyncedOnce(t *testing.T, r *recorder) {
	t.Helper()
	for _, text := range []string{"synced Service", "synced EndpointSlice", "synced Node"} {
		if n := r.countOf(text); n != 1 {
			t.Errorf("%q called %d times, want once", text, n)
		}
	}
}

// gatedServices blocks the first Service add until released, to prove that
// RunInformers waits for the handler, not just for the informer's cache.
type gatedServices struct {
	*recorder
	entered, release chan struct{}
}

func (g *gatedServices) OnServiceAdd(s *v1.Service) {
	close(g.entered)
	<-g.release
	g.recorder.OnServiceAdd(s)
}

func TestInformersSyncedWaitsForSlowHandlers(t *testing.T) {
	r := newRecorder()
	gated := &gatedServices{recorder: r, entered: make(chan struct{}), release: make(chan struct{})}
	client := newAPIServer(t, service("default", "web", 80, nil)).client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- RunInformers(ctx, client, "node-a", Handlers{Services: gated}, 0) }()

	<-gated.entered
	// A negative check needs a window: the informer's own cache is synced
	// by now, and the cache-sync poll runs every 100ms.
	select {
	case err := <-done:
		t.Fatalf("RunInformers returned (%v) while the initial add was still being handled", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(gated.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := r.texts(0), []string{"add Service default/web", "synced Service"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}
