package proxy

import (
	"context"
	"os"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/nodenet/nodenet/proxy/eventrecorder"
)

// EventReporter reports each problem with a log line and a Warning Event
// on the object, so `kubectl describe` shows why a Service is (partly) not
// served. Recording is asynchronous: Report never blocks on the API.
type EventReporter struct {
	recorder *eventrecorder.Recorder
}

// NewEventReporter starts an event recorder writing core/v1 Events to
// sink (source.Client.EventSink); it stops with ctx. scheme must know the
// kinds of the objects reported (source.Scheme does): the recorder names the
// involved object's kind from it. The source names this host, as the
// events.k8s.io recorder did with its reporting instance.
func NewEventReporter(ctx context.Context, sink eventrecorder.Sink, scheme *runtime.Scheme) *EventReporter {
	host, _ := os.Hostname()
	return &EventReporter{recorder: eventrecorder.New(ctx, sink, scheme, v1.EventSource{Component: "nodenet", Host: host})}
}

// Report logs the problem and records it as a Warning Event on obj.
func (r *EventReporter) Report(obj runtime.Object, reason string, err error) {
	LogReporter{}.Report(obj, reason, err)
	r.recorder.Eventf(obj, v1.EventTypeWarning, reason, "%s: %s", reportMessages[reason], err.Error())
}
