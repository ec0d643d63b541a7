package source

import (
	"context"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/nodenet/nodenet/proxy/eventrecorder"
)

// EventSink writes core/v1 Events for an eventrecorder.Recorder; its requests end
// with ctx. Core Events (not events.k8s.io) because choosing
// between the two needs discovery, which the full clientset brought along.
func (c *Client) EventSink(ctx context.Context) eventrecorder.Sink {
	return &eventSink{ctx: ctx, client: c.core}
}

type eventSink struct {
	ctx    context.Context
	client rest.Interface
}

func (s *eventSink) Create(event *v1.Event) (*v1.Event, error) {
	return s.do(s.events(s.client.Post(), event).Body(event))
}

// Patch sends the patch the recorder makes when an event repeats (a new
// count and lastTimestamp).
func (s *eventSink) Patch(event *v1.Event, data []byte) (*v1.Event, error) {
	return s.do(s.events(s.client.Patch(types.StrategicMergePatchType), event).Name(event.Name).Body(data))
}

// events addresses the event's own namespace, like client-go's
// *WithEventNamespace methods.
func (s *eventSink) events(req *rest.Request, event *v1.Event) *rest.Request {
	return req.NamespaceIfScoped(event.Namespace, event.Namespace != "").Resource("events")
}

func (s *eventSink) do(req *rest.Request) (*v1.Event, error) {
	result := &v1.Event{}
	if err := req.Do(s.ctx).Into(result); err != nil {
		return nil, err
	}
	return result, nil
}
