package eventrecorder

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
)

// memorySink keeps Events as an API server would, by namespace/name.
type memorySink struct {
	mu        sync.Mutex
	events    map[string]*v1.Event
	creates   int
	failPatch bool
}

func newMemorySink() *memorySink { return &memorySink{events: map[string]*v1.Event{}} }

func (s *memorySink) Create(e *v1.Event) (*v1.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creates++
	c := e.DeepCopy()
	s.events[e.Namespace+"/"+e.Name] = c
	return c, nil
}

func (s *memorySink) Patch(e *v1.Event, patch []byte) (*v1.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.events[e.Namespace+"/"+e.Name]
	if !ok || s.failPatch {
		return nil, errors.New("not found")
	}
	var count int32
	if _, err := fmt.Sscanf(string(patch), `{"count":%d,`, &count); err != nil {
		return nil, err
	}
	stored.Count = count
	return stored, nil
}

func (s *memorySink) snapshot() (creates int, counts []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		counts = append(counts, e.Count)
	}
	return s.creates, counts
}

func newRecorder(t *testing.T, sink Sink) *Recorder {
	scheme := runtime.NewScheme()
	if err := v1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return New(t.Context(), sink, scheme, v1.EventSource{Component: "nodenet", Host: "node-a"})
}

func service(name string) *v1.Service {
	return &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: name, UID: types.UID("u-" + name)}}
}

// waitFor polls the sink until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 5*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func TestEventNamesTheObject(t *testing.T) {
	sink := newMemorySink()
	r := newRecorder(t, sink)
	r.Eventf(service("db"), v1.EventTypeWarning, "Bad", "port %d", 80)
	waitFor(t, "the Event", func() bool { n, _ := sink.snapshot(); return n == 1 })
	for _, e := range sink.events {
		o := e.InvolvedObject
		if e.Namespace != "web" || o.Kind != "Service" || o.APIVersion != "v1" || o.Name != "db" || o.UID != "u-db" ||
			e.Type != v1.EventTypeWarning || e.Reason != "Bad" || e.Message != "port 80" || e.Count != 1 ||
			e.Source.Host != "node-a" || e.FirstTimestamp.IsZero() {
			t.Errorf("event %+v", e)
		}
	}
}

func TestRepeatsBumpTheCount(t *testing.T) {
	sink := newMemorySink()
	r := newRecorder(t, sink)
	for range 3 {
		r.Eventf(service("db"), v1.EventTypeWarning, "Bad", "same")
	}
	r.Eventf(service("db"), v1.EventTypeWarning, "Bad", "other message")
	r.Eventf(service("cache"), v1.EventTypeWarning, "Bad", "same")
	waitFor(t, "3 Events, one counted 3 times", func() bool {
		n, counts := sink.snapshot()
		sum := int32(0)
		for _, c := range counts {
			sum += c
		}
		return n == 3 && sum == 5
	})
}

// An Event that expired from the API is created again rather than lost.
func TestFailedPatchCreatesAnew(t *testing.T) {
	sink := newMemorySink()
	r := newRecorder(t, sink)
	r.Eventf(service("db"), v1.EventTypeWarning, "Bad", "same")
	waitFor(t, "the first Event", func() bool { n, _ := sink.snapshot(); return n == 1 })
	sink.mu.Lock()
	sink.failPatch = true
	sink.mu.Unlock()
	r.Eventf(service("db"), v1.EventTypeWarning, "Bad", "same")
	waitFor(t, "a second Event", func() bool { n, _ := sink.snapshot(); return n == 2 })
}

// Objects of a kind the scheme does not know are logged, not sent.
func TestUnknownKindIsSkipped(t *testing.T) {
	sink := newMemorySink()
	r := newRecorder(t, sink)
	r.Eventf(&unknownKind{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, v1.EventTypeWarning, "Bad", "x")
	r.Eventf(service("db"), v1.EventTypeWarning, "Bad", "y")
	waitFor(t, "the Service's Event", func() bool { n, _ := sink.snapshot(); return n == 1 })
	for _, e := range sink.events {
		if e.InvolvedObject.Kind != "Service" {
			t.Errorf("recorded %+v", e.InvolvedObject)
		}
	}
}

type unknownKind struct {
	metav1.TypeMeta
	metav1.ObjectMeta
}

func (u *unknownKind) DeepCopyObject() runtime.Object { c := *u; return &c }

// Eventf never blocks, even when the API does not answer.
func TestEventfDoesNotBlock(t *testing.T) {
	stuck := blockingSink(make(chan struct{}))
	defer close(stuck)
	r := newRecorder(t, stuck)
	done := make(chan struct{})
	go func() {
		for range queueLength + 10 {
			r.Eventf(service("db"), v1.EventTypeWarning, "Bad", "x")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Eventf blocked on a stuck API")
	}
}

// blockingSink answers nothing until it is closed.
type blockingSink chan struct{}

func (b blockingSink) Create(*v1.Event) (*v1.Event, error) {
	<-b
	return nil, errors.New("stuck")
}

func (b blockingSink) Patch(*v1.Event, []byte) (*v1.Event, error) {
	<-b
	return nil, errors.New("stuck")
}
