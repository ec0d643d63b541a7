package proxy

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/component-base/metrics/legacyregistry"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// conflictGauge reads the frontend conflicts gauge of kind as /metrics
// serves it (0 before its first conflict).
func conflictGauge(t *testing.T, kind string) float64 {
	t.Helper()
	registerMetrics()
	families, err := legacyregistry.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "nodenet_service_frontend_conflicts" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}

// TestClusterIPConflictOlderServiceWins: a newer Service with another's
// ClusterIP and port loses that frontend only, whatever the order the
// two arrive in, and is reported once.
func TestClusterIPConflictOlderServiceWins(t *testing.T) {
	older := nodePortService("zz-older", "10.96.0.10", 30080, t0)
	newer := nodePortService("aa-newer", "10.96.0.10", 30081, t0.Add(time.Minute))
	newer.Spec.ExternalIPs = []string{"203.0.113.20"}
	for _, order := range [][]*v1.Service{{older, newer}, {newer, older}} {
		rep := &fakeReporter{}
		tr := NewServiceTracker(rep)
		table := NewTable()
		before := conflictGauge(t, "ClusterIP")
		for _, svc := range order {
			tr.Update(nameOf(svc), svc)
		}
		trackerState(t, tr, table)
		won, lost := portOf(table, "zz-older"), portOf(table, "aa-newer")
		if !reflect.DeepEqual(won.ClusterIPs, []netip.Addr{netip.MustParseAddr("10.96.0.10")}) {
			t.Errorf("order %s first: the older lost its cluster IP: %v", order[0].Name, won.ClusterIPs)
		}
		if len(lost.ClusterIPs) != 0 || !reflect.DeepEqual(lost.ShadowedClusterIPs, won.ClusterIPs) {
			t.Errorf("order %s first: newer has cluster IPs %v (shadowed %v), want none (10.96.0.10)", order[0].Name, lost.ClusterIPs, lost.ShadowedClusterIPs)
		}
		if lost.NodePort != 30081 || len(lost.ExternalIPs) != 1 || !lost.InFamily(true) {
			t.Errorf("the loser must keep its other frontends and its family: %+v", lost)
		}
		want := "FrontendConflict: clusterIP 10.96.0.10 port 80/TCP is used by the older Service default/zz-older"
		if rep.count("Service default/aa-newer", want) != 1 || len(rep.got) != 1 {
			t.Errorf("reports %q, want one %q", rep.got, want)
		}
		if got := conflictGauge(t, "ClusterIP") - before; got != 1 {
			t.Errorf("conflicts gauge moved by %v, want 1", got)
		}
	}
}

// TestFrontendConflictKeys: what counts as the same frontend.
func TestFrontendConflictKeys(t *testing.T) {
	withIPs := func(name, clusterIP string, created time.Time, mutate func(*v1.Service)) *v1.Service {
		svc := nodePortService(name, clusterIP, 0, created)
		svc.Spec.Type = v1.ServiceTypeLoadBalancer
		mutate(svc)
		return svc
	}
	older := withIPs("older", "10.96.0.10", t0, func(s *v1.Service) {
		s.Spec.ExternalIPs = []string{"203.0.113.20"}
		s.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: "203.0.113.10"}}
	})
	for _, tc := range []struct {
		name     string
		mutate   func(*v1.Service)
		conflict bool
	}{
		{"external IP on the older's cluster IP", func(s *v1.Service) { s.Spec.ExternalIPs = []string{"10.96.0.10"} }, true},
		{"same external IP", func(s *v1.Service) { s.Spec.ExternalIPs = []string{"203.0.113.20"} }, true},
		{"same load-balancer IP", func(s *v1.Service) {
			s.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: "203.0.113.10"}}
		}, true},
		{"same load-balancer IP, other port (shared IP)", func(s *v1.Service) {
			s.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: "203.0.113.10"}}
			s.Spec.Ports[0].Port = 81
		}, false},
		{"same external IP and port, other protocol", func(s *v1.Service) {
			s.Spec.ExternalIPs = []string{"203.0.113.20"}
			s.Spec.Ports[0].Protocol = v1.ProtocolUDP
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &fakeReporter{}
			tr := NewServiceTracker(rep)
			tr.Update(nameOf(older), older)
			newer := withIPs("newer", "10.96.0.11", t0.Add(time.Minute), tc.mutate)
			tr.Update(nameOf(newer), newer)
			if got := rep.count("default/newer", ReasonFrontendConflict, "default/older") == 1; got != tc.conflict || len(rep.got) > 1 {
				t.Errorf("reports %q, want a conflict: %v", rep.got, tc.conflict)
			}
			table := NewTable()
			trackerState(t, tr, table)
			for _, sp := range table.Services {
				if sp.Name.Name == "newer" && tc.conflict && len(sp.ExternalIPs)+len(sp.LoadBalancerIPs) != 0 {
					t.Errorf("newer still answers on %v %v", sp.ExternalIPs, sp.LoadBalancerIPs)
				}
			}
		})
	}
}

// TestFrontendHandOverWhenOwnerGoes: the loser takes the frontend over as
// soon as the owner is deleted, and the conflict is no longer counted.
func TestFrontendHandOverWhenOwnerGoes(t *testing.T) {
	older := makeService("older", "10.96.0.10", func(s *v1.Service) { s.CreationTimestamp.Time = t0 })
	newer := makeService("newer", "10.96.0.10", func(s *v1.Service) { s.CreationTimestamp.Time = t0.Add(time.Minute) })
	tr := NewServiceTracker(nopReporter{})
	table := NewTable()
	before := conflictGauge(t, "ClusterIP")
	tr.Update(nameOf(older), older)
	tr.Update(nameOf(newer), newer)
	trackerState(t, tr, table)
	if len(portOf(table, "newer").ClusterIPs) != 0 {
		t.Fatal("newer must not answer on the older's cluster IP")
	}
	if !tr.Update(nameOf(older), nil) {
		t.Fatal("deleting the owner must leave a change pending for the loser")
	}
	trackerState(t, tr, table)
	if got := portOf(table, "newer").ClusterIPs; len(got) != 1 || len(portOf(table, "newer").ShadowedClusterIPs) != 0 {
		t.Errorf("newer has cluster IPs %v after the owner went, want 10.96.0.10", got)
	}
	if got := conflictGauge(t, "ClusterIP") - before; got != 0 {
		t.Errorf("conflicts gauge moved by %v, want back to where it was", got)
	}
}
