package source

import (
	"slices"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// event is one recorded handler call, e.g. "add Service default/web".
type event struct {
	text string
	old  runtime.Object
	obj  runtime.Object
}

// recorder implements every proxy handler and records calls in order.
type recorder struct {
	mu      sync.Mutex
	events  []event
	changed chan struct{}
}

func newRecorder() *recorder {
	return &recorder{changed: make(chan struct{}, 1)}
}

func (r *recorder) handlers() Handlers {
	return Handlers{Services: r, EndpointSlices: r, Nodes: r}
}

// policyHandlers are the kinds the NetworkPolicy firewall reads.
func (r *recorder) policyHandlers() Handlers {
	return Handlers{Pods: r, Namespaces: r, NetworkPolicies: r}
}

func (r *recorder) record(op string, old, obj runtime.Object, kind string) {
	text := op + " " + kind
	if obj != nil {
		m, _ := meta.Accessor(obj)
		text += " " + namespacedName(m.GetNamespace(), m.GetName())
	}
	r.mu.Lock()
	r.events = append(r.events, event{text: text, old: old, obj: obj})
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func namespacedName(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

func (r *recorder) OnServiceAdd(s *v1.Service)         { r.record("add", nil, s, "Service") }
func (r *recorder) OnServiceUpdate(old, s *v1.Service) { r.record("update", old, s, "Service") }
func (r *recorder) OnServiceDelete(s *v1.Service)      { r.record("delete", nil, s, "Service") }
func (r *recorder) OnServicesSynced()                  { r.record("synced", nil, nil, "Service") }
func (r *recorder) OnEndpointSliceAdd(s *discovery.EndpointSlice) {
	r.record("add", nil, s, "EndpointSlice")
}
func (r *recorder) OnEndpointSliceUpdate(old, s *discovery.EndpointSlice) {
	r.record("update", old, s, "EndpointSlice")
}
func (r *recorder) OnEndpointSliceDelete(s *discovery.EndpointSlice) {
	r.record("delete", nil, s, "EndpointSlice")
}
func (r *recorder) OnEndpointSlicesSynced()      { r.record("synced", nil, nil, "EndpointSlice") }
func (r *recorder) OnNodeAdd(n *v1.Node)         { r.record("add", nil, n, "Node") }
func (r *recorder) OnNodeUpdate(old, n *v1.Node) { r.record("update", old, n, "Node") }
func (r *recorder) OnNodeDelete(n *v1.Node)      { r.record("delete", nil, n, "Node") }
func (r *recorder) OnNodeSynced()                { r.record("synced", nil, nil, "Node") }
func (r *recorder) OnPodAdd(p *v1.Pod)           { r.record("add", nil, p, "Pod") }
func (r *recorder) OnPodUpdate(old, p *v1.Pod)   { r.record("update", old, p, "Pod") }
func (r *recorder) OnPodDelete(p *v1.Pod)        { r.record("delete", nil, p, "Pod") }
func (r *recorder) OnPodsSynced()                { r.record("synced", nil, nil, "Pod") }
func (r *recorder) OnNamespaceAdd(n *v1.Namespace) {
	r.record("add", nil, n, "Namespace")
}
func (r *recorder) OnNamespaceUpdate(old, n *v1.Namespace) {
	r.record("update", old, n, "Namespace")
}
func (r *recorder) OnNamespaceDelete(n *v1.Namespace) {
	r.record("delete", nil, n, "Namespace")
}
func (r *recorder) OnNamespacesSynced() { r.record("synced", nil, nil, "Namespace") }
func (r *recorder) OnNetworkPolicyAdd(np *networkingv1.NetworkPolicy) {
	r.record("add", nil, np, "NetworkPolicy")
}
func (r *recorder) OnNetworkPolicyUpdate(old, np *networkingv1.NetworkPolicy) {
	r.record("update", old, np, "NetworkPolicy")
}
func (r *recorder) OnNetworkPolicyDelete(np *networkingv1.NetworkPolicy) {
	r.record("delete", nil, np, "NetworkPolicy")
}
func (r *recorder) OnNetworkPoliciesSynced() { r.record("synced", nil, nil, "NetworkPolicy") }

// texts returns the recorded event texts from index from on.
func (r *recorder) texts(from int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events[min(from, len(r.events)):] {
		out = append(out, e.text)
	}
	return out
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// last returns the most recent event with the given text.
func (r *recorder) last(text string) (event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].text == text {
			return r.events[i], true
		}
	}
	return event{}, false
}

// waitFor blocks until every text in want has been recorded since index
// from, or fails the test after timeout.
func (r *recorder) waitFor(t *testing.T, from int, timeout time.Duration, want ...string) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		got := r.texts(from)
		if containsAll(got, want) {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("timed out after %v waiting for %q; got %q", timeout, want, got)
		}
	}
}

func containsAll(got, want []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// countOf returns how many times text was recorded.
func (r *recorder) countOf(text string) int {
	n := 0
	for _, got := range r.texts(0) {
		if got == text {
			n++
		}
	}
	return n
}
