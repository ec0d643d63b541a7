package proxy

import (
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// EventRecorder records an Event on an API object: the method of the
// agent's recorder (agent/eventrecorder.Recorder, asynchronous, repeats
// folded into one Event) the proxy uses. An interface of its own keeps the
// API plumbing out of the proxy core.
type EventRecorder interface {
	Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

// EventReporter reports each problem with a log line and a Warning Event
// on the object, so `kubectl describe` shows why a Service is (partly) not
// served. Recording is asynchronous: Report never blocks on the API.
type EventReporter struct {
	recorder EventRecorder
}

// NewEventReporter reports through recorder, whose scheme must know the
// kinds of the objects reported (source.Scheme does).
func NewEventReporter(recorder EventRecorder) *EventReporter {
	return &EventReporter{recorder: recorder}
}

// Report logs the problem and records it as a Warning Event on obj.
func (r *EventReporter) Report(obj runtime.Object, reason string, err error) {
	LogReporter{}.Report(obj, reason, err)
	r.recorder.Eventf(obj, v1.EventTypeWarning, reason, "%s: %s", reportMessages[reason], err.Error())
}
