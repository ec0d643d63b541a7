package source

import (
	"context"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// EventSink writes core/v1 Events through the client, for the agent's
// event recorder (agent/eventrecorder.Sink). Core Events (not
// events.k8s.io) because choosing between the two needs discovery, which
// the full clientset brought along.
type EventSink struct {
	ctx    context.Context
	client rest.Interface
}

// EventSink returns the client's sink; its requests end with ctx.
func (c *Client) EventSink(ctx context.Context) *EventSink {
	return &EventSink{ctx: ctx, client: c.core}
}

// Create creates event in its namespace.
func (s *EventSink) Create(event *v1.Event) (*v1.Event, error) {
	return s.do(s.events(s.client.Post(), event).Body(event))
}

// Patch sends the patch the recorder makes when an event repeats (a new
// count and lastTimestamp).
func (s *EventSink) Patch(event *v1.Event, data []byte) (*v1.Event, error) {
	return s.do(s.events(s.client.Patch(types.StrategicMergePatchType), event).Name(event.Name).Body(data))
}

// events addresses the event's own namespace, like client-go's
// *WithEventNamespace methods.
func (s *EventSink) events(req *rest.Request, event *v1.Event) *rest.Request {
	return req.NamespaceIfScoped(event.Namespace, event.Namespace != "").Resource("events")
}

func (s *EventSink) do(req *rest.Request) (*v1.Event, error) {
	result := &v1.Event{}
	if err := req.Do(s.ctx).Into(result); err != nil {
		return nil, err
	}
	return result, nil
}
