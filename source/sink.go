package source

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/klog/v2"
)

// sink adapts one typed proxy handler to untyped objects, so that informers
// and manifests share a single delivery path per kind.
type sink struct {
	kind string
	// accept filters out objects the handler must not see (other nodes).
	// nil accepts everything.
	accept func(name string) bool
	add    func(obj any)
	update func(oldObj, obj any)
	remove func(obj any)
	synced func()
}

// newSink wraps typed handler methods. The type check lives here, once,
// so a surprising object is logged and dropped instead of panicking.
func newSink[T any](kind string, add func(T), update func(T, T), remove func(T), synced func()) *sink {
	return &sink{
		kind: kind,
		add: func(obj any) {
			if o, ok := as[T](kind, obj); ok {
				add(o)
			}
		},
		update: func(oldObj, obj any) {
			old, oldOK := as[T](kind, oldObj)
			cur, curOK := as[T](kind, obj)
			if oldOK && curOK {
				update(old, cur)
			}
		},
		remove: func(obj any) {
			if o, ok := as[T](kind, obj); ok {
				remove(o)
			}
		},
		synced: synced,
	}
}

func as[T any](kind string, obj any) (T, bool) {
	o, ok := obj.(T)
	if !ok {
		klog.ErrorS(nil, "Dropping event with an unexpected object type", "kind", kind, "type", fmt.Sprintf("%T", obj))
	}
	return o, ok
}

func (s *sink) onAdd(obj any) {
	if s.accepts(obj) {
		s.add(obj)
	}
}

// onUpdate filters on the new object: the only filtered field today is a
// Node's name, which cannot change.
func (s *sink) onUpdate(oldObj, obj any) {
	if s.accepts(obj) {
		s.update(oldObj, obj)
	}
}

func (s *sink) onDelete(obj any) {
	if s.accepts(obj) {
		s.remove(obj)
	}
}

func (s *sink) accepts(obj any) bool {
	if s.accept == nil {
		return true
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		klog.ErrorS(err, "Dropping event for an object without metadata", "kind", s.kind)
		return false
	}
	return s.accept(m.GetName())
}
