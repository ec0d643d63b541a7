package proxy

import (
	"context"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
)

// EventReporter reports each problem with a log line and a Warning Event
// on the object, so `kubectl describe` shows why a Service is (partly) not
// served. Recording is asynchronous: Report never blocks on the API.
type EventReporter struct {
	recorder events.EventRecorder
}

// NewEventReporter starts an event broadcaster on client that stops with
// ctx. Like kube-proxy it uses the adapter, which picks events.k8s.io/v1
// or the core v1 Events the server offers; the recorder names this host as
// the reporting instance by itself.
func NewEventReporter(ctx context.Context, client kubernetes.Interface) *EventReporter {
	broadcaster := events.NewEventBroadcasterAdapterWithContext(ctx, client)
	broadcaster.StartRecordingToSink(ctx.Done())
	context.AfterFunc(ctx, broadcaster.Shutdown)
	return &EventReporter{recorder: broadcaster.NewRecorder("nodenet")}
}

// Report logs the problem and records it as a Warning Event on obj.
func (r *EventReporter) Report(obj runtime.Object, reason string, err error) {
	LogReporter{}.Report(obj, reason, err)
	r.recorder.Eventf(obj, nil, v1.EventTypeWarning, reason, "Proxying", "%s: %s", reportMessages[reason], err.Error())
}
