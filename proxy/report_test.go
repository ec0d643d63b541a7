package proxy

import (
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

type nopReporter struct{}

func (nopReporter) Report(runtime.Object, string, error) {}

// fakeReporter records "Kind ns/name Reason: message" per report.
type fakeReporter struct{ got []string }

func (f *fakeReporter) Report(obj runtime.Object, reason string, err error) {
	f.got = append(f.got, kindOf(obj)+" "+objectRef(obj).String()+" "+reason+": "+err.Error())
}

// count returns how many reports mention every one of subs.
func (f *fakeReporter) count(subs ...string) int {
	n := 0
	for _, g := range f.got {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(g, s)
		}
		if all {
			n++
		}
	}
	return n
}

func nodePortService(name, ip string, nodePort int32, created time.Time) *v1.Service {
	return makeService(name, ip, func(s *v1.Service) {
		s.CreationTimestamp = metav1.NewTime(created)
		s.Spec.Type = v1.ServiceTypeNodePort
		s.Spec.Ports[0].NodePort = nodePort
	})
}

// trackerState applies every pending change to a table, as a sync would.
func trackerState(t *testing.T, tr *ServiceTracker, table *Table) {
	t.Helper()
	table.Apply(tr.Checkpoint(), nil)
}

func portOf(table *Table, svc string) *ServicePort {
	return table.Services[ServicePortName{NamespacedName: types.NamespacedName{Namespace: "default", Name: svc}, Port: "http", Protocol: v1.ProtocolTCP}]
}

func TestBadServiceChangesNothingForOthers(t *testing.T) {
	bad := map[string]func(*v1.Service){
		"invalid cluster IP":  func(s *v1.Service) { s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.300", nil },
		"invalid protocol":    func(s *v1.Service) { s.Spec.Ports[0].Protocol = "ICMP" },
		"port out of range":   func(s *v1.Service) { s.Spec.Ports[0].Port = 0 },
		"invalid external IP": func(s *v1.Service) { s.Spec.ExternalIPs = []string{"x"} },
	}
	for name, mutate := range bad {
		t.Run(name, func(t *testing.T) {
			rep := &fakeReporter{}
			tr := NewServiceTracker(rep)
			table := NewTable()
			tr.Update(types.NamespacedName{Namespace: "default", Name: "good"}, makeService("good", "10.96.0.1"))
			trackerState(t, tr, table)
			before := *portOf(table, "good")
			tr.Update(types.NamespacedName{Namespace: "default", Name: "bad"}, makeService("bad", "10.96.0.2", mutate))
			trackerState(t, tr, table)
			if len(table.Services) != 1 || !reflect.DeepEqual(*portOf(table, "good"), before) {
				t.Errorf("table after the bad Service: %v", table.Services)
			}
			if rep.count("Service default/bad", ReasonInvalidService) != 1 || len(rep.got) != 1 {
				t.Errorf("reports %q, want one InvalidService for default/bad", rep.got)
			}
		})
	}
}

func TestNodePortConflictOlderServiceWins(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	older := nodePortService("zz-older", "10.96.0.1", 30080, t0)
	newer := nodePortService("aa-newer", "10.96.0.2", 30080, t0.Add(time.Minute))
	sameAge := nodePortService("bb-same", "10.96.0.3", 30080, t0)
	otherProto := nodePortService("udp", "10.96.0.4", 30080, t0.Add(time.Hour))
	otherProto.Spec.Ports[0].Protocol = v1.ProtocolUDP
	for _, order := range [][]*v1.Service{{older, newer}, {newer, older}} {
		rep := &fakeReporter{}
		tr := NewServiceTracker(rep)
		table := NewTable()
		for _, svc := range order {
			tr.Update(nameOf(svc), svc)
		}
		trackerState(t, tr, table)
		if portOf(table, "zz-older").NodePort != 30080 || portOf(table, "aa-newer").NodePort != 0 {
			t.Errorf("order %s first: older has %d, newer %d; want 30080, 0", order[0].Name,
				portOf(table, "zz-older").NodePort, portOf(table, "aa-newer").NodePort)
		}
		if len(portOf(table, "aa-newer").ClusterIPs) != 1 {
			t.Error("the loser must keep its cluster IP")
		}
		if rep.count("default/aa-newer", ReasonNodePortConflict, "default/zz-older") != 1 || len(rep.got) != 1 {
			t.Errorf("reports %q, want one NodePortConflict for aa-newer", rep.got)
		}
	}
	tr := NewServiceTracker(nopReporter{})
	table := NewTable()
	for _, svc := range []*v1.Service{older, sameAge, otherProto} {
		tr.Update(nameOf(svc), svc)
	}
	trackerState(t, tr, table)
	if portOf(table, "bb-same").NodePort != 30080 || portOf(table, "zz-older").NodePort != 0 {
		t.Error("same creation time: namespace/name must decide (bb-same < zz-older)")
	}
	udp := table.Services[ServicePortName{NamespacedName: nameOf(otherProto), Port: "http", Protocol: v1.ProtocolUDP}]
	if udp.NodePort != 30080 {
		t.Error("the same port number over another protocol is no conflict")
	}
}

func TestNodePortHandOverWhenOwnerGoes(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	older := nodePortService("older", "10.96.0.1", 30080, t0)
	newer := nodePortService("newer", "10.96.0.2", 30080, t0.Add(time.Minute))
	rep := &fakeReporter{}
	tr := NewServiceTracker(rep)
	table := NewTable()
	tr.Update(nameOf(older), older)
	tr.Update(nameOf(newer), newer)
	trackerState(t, tr, table)
	for _, step := range []struct {
		name   string
		update func() bool
	}{
		{"owner deleted", func() bool { return tr.Update(nameOf(older), nil) }},
		{"owner back", func() bool { return tr.Update(nameOf(older), older) }},
		{"owner changes port", func() bool {
			moved := older.DeepCopy()
			moved.Spec.Ports[0].NodePort = 30081
			return tr.Update(nameOf(older), moved)
		}},
	} {
		if !step.update() {
			t.Fatalf("%s: a change must be pending", step.name)
		}
		trackerState(t, tr, table)
		want := int32(30080)
		if step.name == "owner back" {
			want = 0
		}
		if got := portOf(table, "newer").NodePort; got != want {
			t.Errorf("%s: newer has nodePort %d, want %d", step.name, got, want)
		}
	}
	// Lost, won, lost again: two distinct episodes, two reports.
	if n := rep.count("default/newer", ReasonNodePortConflict); n != 2 {
		t.Errorf("reports %q, want 2 NodePortConflict for newer", rep.got)
	}
}

func TestProblemsReportedOnce(t *testing.T) {
	rep := &fakeReporter{}
	tr := NewServiceTracker(rep)
	bad := makeService("bad", "nope")
	for range 3 {
		tr.Update(nameOf(bad), bad.DeepCopy()) // informer resyncs
	}
	worse := makeService("bad", "nope", func(s *v1.Service) { s.Spec.ExternalIPs = []string{"x"} })
	worse.Spec.ClusterIP = "10.96.0.1"
	tr.Update(nameOf(bad), worse) // a different problem is news
	tr.Update(nameOf(bad), nil)
	tr.Update(nameOf(bad), bad) // deleted and back: reported again
	if len(rep.got) != 3 {
		t.Errorf("reports %q, want 3", rep.got)
	}

	eps := NewEndpointTracker("node-a", rep)
	rep.got = nil
	slice := makeSlice("web", "web-1", 8080, ready("10.0.0.1"), ready("10.0.0.999"), ready("fd00::1"))
	slice.Ports = append(slice.Ports, slice.Ports[0])
	slice.Ports[1].Protocol, slice.Ports[1].Name = ptr.To(v1.Protocol("ICMP")), ptr.To("x")
	for range 3 {
		eps.Update(slice, false)
	}
	if len(rep.got) != 1 || rep.count("EndpointSlice default/web-1", "10.0.0.999", "fd00::1", "ICMP") != 1 {
		t.Errorf("reports %q, want one naming every bad entry", rep.got)
	}
	got := eps.Checkpoint()[types.NamespacedName{Namespace: "default", Name: "web"}].current
	for _, list := range got {
		if len(list) != 1 || list[0].Addr.String() != "10.0.0.1" {
			t.Errorf("endpoints %v, want only the good 10.0.0.1", list)
		}
	}
}
