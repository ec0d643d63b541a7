package proxy

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
)

// memorySink is an eventrecorder.Sink keeping what the recorder sends (the
// REST sink is tested in proxy/source).
type memorySink struct {
	mu     sync.Mutex
	events []v1.Event
}

func (s *memorySink) Create(e *v1.Event) (*v1.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, *e)
	return e, nil
}

func (s *memorySink) Patch(e *v1.Event, _ []byte) (*v1.Event, error) { return e, nil }

func (s *memorySink) first() (v1.Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) == 0 {
		return v1.Event{}, false
	}
	return s.events[0], true
}

func TestEventReporterCreatesWarningEvent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	scheme := runtime.NewScheme()
	if err := v1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	sink := &memorySink{}
	r := NewEventReporter(ctx, sink, scheme, "node-1")
	svc := makeService("clash", "10.96.0.1")
	r.Report(svc, ReasonNodePortConflict, errors.New("nodePort 30080/TCP is used by the older Service default/old"))

	var ev v1.Event
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		var ok bool
		ev, ok = sink.first()
		return ok, nil
	})
	if err != nil {
		t.Fatalf("no Event recorded: %v", err)
	}
	obj := ev.InvolvedObject
	if ev.Type != v1.EventTypeWarning || ev.Reason != ReasonNodePortConflict || ev.Namespace != "default" ||
		obj.Kind != "Service" || obj.Namespace != "default" || obj.Name != "clash" || ev.Source.Component != "nodenet" || ev.Source.Host != "node-1" {
		t.Errorf("event %+v, want a Warning NodePortConflict from nodenet on node-1 on Service default/clash", ev)
	}
}
