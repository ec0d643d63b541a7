package eventrecorder

import v1 "k8s.io/api/core/v1"

// maxRepeats bounds the memory of recorded Events, like the LRU of
// client-go's correlator (4096); past it the memory starts over, and a
// repeat then makes a new Event rather than a count.
const maxRepeats = 4096

// repeatKey is what makes two Events the same problem (client-go's
// aggregation key without the time).
type repeatKey struct {
	object                 v1.ObjectReference
	eventtype, reason      string
	message                string
	sourceComp, sourceHost string
}

type recorded struct {
	event *v1.Event // as created: its name and namespace address patches
	count int32
}

// repeats remembers the Events created, so a repeat patches a count. Only
// the recorder's goroutine uses it.
type repeats struct {
	events map[repeatKey]*recorded
}

func newRepeats() *repeats { return &repeats{events: map[repeatKey]*recorded{}} }

func keyOf(e *v1.Event) repeatKey {
	return repeatKey{
		object: e.InvolvedObject, eventtype: e.Type, reason: e.Reason, message: e.Message,
		sourceComp: e.Source.Component, sourceHost: e.Source.Host,
	}
}

// bump counts a repeat of e and returns the Event first created for it.
func (r *repeats) bump(e *v1.Event) (*v1.Event, int32, bool) {
	rec, ok := r.events[keyOf(e)]
	if !ok {
		return nil, 0, false
	}
	rec.count++
	return rec.event, rec.count, true
}

func (r *repeats) remember(e, created *v1.Event) {
	if len(r.events) >= maxRepeats {
		clear(r.events)
	}
	r.events[keyOf(e)] = &recorded{event: created, count: 1}
}

func (r *repeats) forget(e *v1.Event) {
	delete(r.events, keyOf(e))
}
