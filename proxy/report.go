package proxy

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// Reasons of the problems nodenet reports. They double as Event reasons,
// so they are CamelCase like the Kubernetes ones.
const (
	ReasonInvalidService       = "InvalidService"
	ReasonInvalidEndpointSlice = "InvalidEndpointSlice"
	ReasonNodePortConflict     = "NodePortConflict"
	ReasonFrontendConflict     = "FrontendConflict"
)

// Reporter tells people that nodenet skips an object, or part of one,
// because of reason. The core only decides what to report; how (log line,
// Kubernetes Event) is the caller's choice, which keeps the core testable.
// Report is called with the trackers' lock held: it must not block.
type Reporter interface {
	Report(obj runtime.Object, reason string, err error)
}

// ReportFunc adapts a function to Reporter.
type ReportFunc func(obj runtime.Object, reason string, err error)

// Report calls f.
func (f ReportFunc) Report(obj runtime.Object, reason string, err error) { f(obj, reason, err) }

// LogReporter reports with one klog error line: what the agent uses
// without an API server (--manifests).
type LogReporter struct{}

// Report logs the problem with the object's kind, name and reason.
func (LogReporter) Report(obj runtime.Object, reason string, err error) {
	klog.ErrorS(err, reportMessages[reason], "kind", kindOf(obj), "object", objectRef(obj), "reason", reason)
}

// reportMessages say what nodenet does about each problem.
var reportMessages = map[string]string{
	ReasonInvalidService:       "Skipping invalid Service; other Services are unaffected",
	ReasonInvalidEndpointSlice: "Skipping invalid EndpointSlice entries; the valid ones are used",
	ReasonNodePortConflict:     "Not programming a NodePort an older Service already uses",
	ReasonFrontendConflict:     "Not programming a Service address and port an older Service already uses",
}

func kindOf(obj runtime.Object) string {
	switch obj.(type) {
	case *v1.Service:
		return "Service"
	case *discovery.EndpointSlice:
		return "EndpointSlice"
	}
	return fmt.Sprintf("%T", obj)
}

func objectRef(obj runtime.Object) klog.ObjectRef {
	m, err := meta.Accessor(obj)
	if err != nil {
		return klog.ObjectRef{}
	}
	return klog.KObj(m)
}

// problemKey names one kind of problem of one object.
type problemKey struct {
	kind   string
	name   types.NamespacedName
	reason string
}

// problems forwards each distinct problem to a Reporter once: informers
// resend objects and syncs repeat, and a log line or Event per repeat would
// bury everything else. A problem that is fixed and comes back is reported
// again. Callers hold their tracker's lock.
type problems struct {
	reporter Reporter
	last     map[problemKey]string // the message last reported
}

func newProblems(r Reporter) *problems {
	if r == nil {
		r = LogReporter{}
	}
	return &problems{reporter: r, last: map[problemKey]string{}}
}

// set records the problem reason of obj (err nil: none) and reports it
// when it is new or different from the last one reported.
func (p *problems) set(obj runtime.Object, name types.NamespacedName, reason string, err error) {
	key := problemKey{kind: kindOf(obj), name: name, reason: reason}
	if err == nil {
		delete(p.last, key)
		return
	}
	if p.last[key] == err.Error() {
		return
	}
	p.last[key] = err.Error()
	p.reporter.Report(obj, reason, err)
}

// forget drops every problem of a deleted object.
func (p *problems) forget(kind string, name types.NamespacedName) {
	for key := range p.last {
		if key.kind == kind && key.name == name {
			delete(p.last, key)
		}
	}
}
