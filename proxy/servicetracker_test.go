package proxy

import (
	"errors"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

func TestServicePortsFor(t *testing.T) {
	tests := []struct {
		name      string
		svc       *v1.Service
		wantPorts int
		wantErr   bool
	}{
		{"cluster IP", makeService("a", "10.96.0.1"), 1, false},
		{"headless is ignored", makeService("a", v1.ClusterIPNone), 0, false},
		{"external name is ignored", makeService("a", "", func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeExternalName }), 0, false},
		{"bad cluster IP", makeService("a", "10.96.0.300"), 0, true},
		{"bad external IP", makeService("a", "10.96.0.1", func(s *v1.Service) { s.Spec.ExternalIPs = []string{"nope"} }), 0, true},
		{"bad protocol", makeService("a", "10.96.0.1", func(s *v1.Service) { s.Spec.Ports[0].Protocol = "ICMP" }), 0, true},
		{"bad port", makeService("a", "10.96.0.1", func(s *v1.Service) { s.Spec.Ports[0].Port = 70000 }), 0, true},
		{"name too long for a label", makeService(strings.Repeat("a", 64), "10.96.0.1"), 0, true},
		{"name with a quote", makeService(`we"b`, "10.96.0.1"), 0, true},
		{"bad namespace", makeService("a", "10.96.0.1", func(s *v1.Service) { s.Namespace = "Kube_System" }), 0, true},
		{"bad port name", makeService("a", "10.96.0.1", func(s *v1.Service) { s.Spec.Ports[0].Name = "http-port-name-too-long" }), 0, true},
		{"two ports", makeService("a", "10.96.0.1", func(s *v1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, v1.ServicePort{Name: "dns", Port: 53, Protocol: v1.ProtocolUDP})
		}), 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ports, err := servicePortsFor(tc.svc)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if len(ports) != tc.wantPorts {
				t.Fatalf("got %d ports, want %d", len(ports), tc.wantPorts)
			}
		})
	}
}

func TestNodePortAndLoadBalancerOnlyForTheirTypes(t *testing.T) {
	withNodePort := func(typ v1.ServiceType) func(*v1.Service) {
		return func(s *v1.Service) {
			s.Spec.Type = typ
			s.Spec.Ports[0].NodePort = 30080
			s.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: "192.0.2.100"}, {Hostname: "lb.example"}}
		}
	}
	for typ, want := range map[v1.ServiceType][2]int{
		v1.ServiceTypeClusterIP: {0, 0}, v1.ServiceTypeNodePort: {30080, 0}, v1.ServiceTypeLoadBalancer: {30080, 1},
	} {
		ports, err := servicePortsFor(makeService("a", "10.96.0.1", withNodePort(typ)))
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range ports {
			if int(sp.NodePort) != want[0] || len(sp.LoadBalancerIPs) != want[1] {
				t.Errorf("%s: nodePort %d, %d LB IPs; want %v", typ, sp.NodePort, len(sp.LoadBalancerIPs), want)
			}
		}
	}
}

func TestServiceTrackerDropsNoOpUpdates(t *testing.T) {
	tr := NewServiceTracker(nopReporter{})
	name := types.NamespacedName{Namespace: "default", Name: "a"}
	svc := makeService("a", "10.96.0.1")
	if !tr.Update(name, svc) {
		t.Fatal("add must be pending")
	}
	tr.Checkpoint()
	relabeled := svc.DeepCopy()
	relabeled.Labels = map[string]string{"x": "y"}
	if tr.Update(name, relabeled) {
		t.Error("a label change alters nothing programmed and must not be pending")
	}
	moved := makeService("a", "10.96.0.2")
	if !tr.Update(name, moved) {
		t.Fatal("a new cluster IP must be pending")
	}
	if tr.Update(name, svc) {
		t.Error("changing back before a sync must cancel out")
	}
	if got := tr.Checkpoint(); len(got) != 0 {
		t.Errorf("checkpoint = %v, want nothing", got)
	}
}

func TestServiceTrackerSkipsMalformedAndReports(t *testing.T) {
	var reported []error
	tr := NewServiceTracker(ReportFunc(func(_ runtime.Object, _ string, err error) { reported = append(reported, err) }))
	good := types.NamespacedName{Namespace: "default", Name: "good"}
	tr.Update(good, makeService("good", "10.96.0.1"))
	bad := types.NamespacedName{Namespace: "default", Name: "bad"}
	tr.Update(bad, makeService("bad", "10.96.0.999"))
	changes := tr.Checkpoint()
	if len(reported) != 1 {
		t.Fatalf("reported %d errors, want 1", len(reported))
	}
	if _, ok := changes[bad]; ok {
		t.Error("a malformed new Service must not produce a change")
	}
	if c := changes[good]; c == nil || len(c.current) != 1 {
		t.Errorf("good Service change = %+v", c)
	}
	if errors.Unwrap(reported[0]) == nil && reported[0].Error() == "" {
		t.Error("report must say why")
	}
}

func TestServiceTrackerMalformedUpdateRemovesOldPorts(t *testing.T) {
	// A Service edited into an invalid state is skipped as a whole: its
	// old rules go away rather than staying half-right.
	tr := NewServiceTracker(nopReporter{})
	name := types.NamespacedName{Namespace: "default", Name: "a"}
	tr.Update(name, makeService("a", "10.96.0.1"))
	tr.Checkpoint()
	tr.Update(name, makeService("a", "bogus"))
	c := tr.Checkpoint()[name]
	if c == nil || len(c.previous) != 1 || len(c.current) != 0 {
		t.Fatalf("change = %+v, want previous 1 port and no current", c)
	}
}

func TestSessionAffinityTimeout(t *testing.T) {
	sticky := func(timeout *int32) func(*v1.Service) {
		return func(s *v1.Service) {
			s.Spec.SessionAffinity = v1.ServiceAffinityClientIP
			if timeout != nil {
				s.Spec.SessionAffinityConfig = &v1.SessionAffinityConfig{ClientIP: &v1.ClientIPConfig{TimeoutSeconds: timeout}}
			}
		}
	}
	seconds := func(n int32) *int32 { return &n }
	tests := []struct {
		name    string
		svc     *v1.Service
		want    int32
		wantErr bool
	}{
		{"no affinity", makeService("a", "10.96.0.1"), 0, false},
		{"default timeout", makeService("a", "10.96.0.1", sticky(nil)), 10800, false},
		{"explicit timeout", makeService("a", "10.96.0.1", sticky(seconds(60))), 60, false},
		{"timeout over a day", makeService("a", "10.96.0.1", sticky(seconds(86401))), 0, true},
	}
	for _, tc := range tests {
		ports, err := servicePortsFor(tc.svc)
		if (err != nil) != tc.wantErr {
			t.Fatalf("%s: err %v", tc.name, err)
		}
		for _, sp := range ports {
			if sp.StickyMaxAgeSeconds != tc.want {
				t.Errorf("%s: timeout %d, want %d", tc.name, sp.StickyMaxAgeSeconds, tc.want)
			}
		}
	}
}
