package source

import (
	"context"
	"fmt"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/nodenet/nodenet/agent/eventrecorder"
)

// nodePortConflict is one of the proxy's Event reasons.
const nodePortConflict = "NodePortConflict"

func TestEventSinkCreatesAndPatches(t *testing.T) {
	server := newAPIServer(t)
	sink := server.client(t).EventSink(context.Background())
	event := &v1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: "default", Name: "web.1"},
		InvolvedObject: v1.ObjectReference{Kind: "Service", Namespace: "default", Name: "web"},
		Reason:         nodePortConflict,
		Count:          1,
	}

	if _, err := sink.Create(event); err != nil {
		t.Fatalf("Create: %v", err)
	}
	// The recorder patches count and lastTimestamp when an event repeats.
	if got, err := sink.Patch(event, []byte(`{"count":3,"lastTimestamp":"2026-11-23T12:00:00Z"}`)); err != nil || got.Count != 3 {
		t.Fatalf("Patch = %+v, %v; want count 3", got, err)
	}

	stored, err := server.fake.CoreV1().Events("default").Get(context.Background(), "web.1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stored.Count != 3 || stored.LastTimestamp.Hour() != 12 || stored.InvolvedObject.Name != "web" {
		t.Errorf("stored event %+v, want count 3, last at 12:00, about web", stored)
	}
}

func TestEventSinkReturnsServerErrors(t *testing.T) {
	server := newAPIServer(t)
	sink := server.client(t).EventSink(context.Background())

	// Patching an event that does not exist is a 404 from the server.
	_, err := sink.Patch(&v1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "missing"}}, []byte(`{"count":2}`))
	if err == nil {
		t.Fatal("Patch of a missing event succeeded")
	}
}

// The production wiring: the agent's event recorder over this client's
// sink and scheme creates a Warning Event about the recorded object.
func TestEventRecorderOverClientCreatesWarningEvent(t *testing.T) {
	server := newAPIServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	recorder := eventrecorder.New(ctx, server.client(t).EventSink(ctx), Scheme(), v1.EventSource{Component: "nodenet"})

	recorder.Eventf(service("default", "clash", 80, nil), v1.EventTypeWarning, nodePortConflict, "nodePort %d/TCP is used by default/old", 30080)

	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, eventTimeout, true, func(ctx context.Context) (bool, error) {
		list, err := server.fake.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil || len(list.Items) == 0 {
			return false, err
		}
		ev := list.Items[0]
		obj := ev.InvolvedObject
		if ev.Type != v1.EventTypeWarning || ev.Reason != nodePortConflict || obj.Kind != "Service" || obj.APIVersion != "v1" || obj.Name != "clash" {
			return false, fmt.Errorf("event %+v", ev)
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("no NodePortConflict Event on default/clash: %v", err)
	}
}
