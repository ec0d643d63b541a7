package proxy

import (
	"errors"
	"fmt"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// recordedEvent is one Eventf call.
type recordedEvent struct {
	obj                        runtime.Object
	eventType, reason, message string
}

// fakeRecorder keeps the Eventf calls (the real recorder, its queue and
// repeats, is tested in agent/eventrecorder).
type fakeRecorder struct{ events []recordedEvent }

func (r *fakeRecorder) Eventf(obj runtime.Object, eventType, reason, messageFmt string, args ...any) {
	r.events = append(r.events, recordedEvent{obj, eventType, reason, fmt.Sprintf(messageFmt, args...)})
}

func TestEventReporterRecordsWarningEvent(t *testing.T) {
	rec := &fakeRecorder{}
	svc := makeService("clash", "10.96.0.1")
	NewEventReporter(rec).Report(svc, ReasonNodePortConflict, errors.New("nodePort 30080/TCP is used by the older Service default/old"))
	want := recordedEvent{svc, v1.EventTypeWarning, ReasonNodePortConflict,
		reportMessages[ReasonNodePortConflict] + ": nodePort 30080/TCP is used by the older Service default/old"}
	if len(rec.events) != 1 || rec.events[0] != want {
		t.Errorf("events %+v, want %+v", rec.events, want)
	}
}
