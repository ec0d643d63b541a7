package proxy

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	v1 "k8s.io/api/core/v1"
)

// TestFailedFamilyDoesNotBlockTheOther: an IPv6 failure leaves IPv4
// synced and incremental; only IPv6 resyncs in full, and the proxier
// retries it even when nothing else changed.
func TestFailedFamilyDoesNotBlockTheOther(t *testing.T) {
	v4, v6 := &recordingBackend{}, &recordingBackend{}
	p := NewProxier(Config{NodeName: "node-a"}, NewFamilyBackends(
		&FamilyBackend{Family: v1.IPv4Protocol, Backend: v4},
		&FamilyBackend{Family: v1.IPv6Protocol, Backend: v6}))
	h := p.Handlers()
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	if err := p.sync(); err != nil {
		t.Fatal(err)
	}
	v6.fail = errFake
	h.Services.OnServiceAdd(makeService("web", "10.96.0.1"))
	if err := p.sync(); err == nil {
		t.Fatal("the IPv6 failure must be reported")
	}
	v6.fail = nil
	if err := p.sync(); err != nil { // nothing changed: the retry alone
		t.Fatal(err)
	}
	if got := len(v4.calls); got != 3 {
		t.Fatalf("IPv4 synced %d times, want 3", got)
	}
	if v4.calls[1].full || v4.calls[2].full || v4.calls[1].changed.Len() != 1 {
		t.Errorf("IPv4 syncs after the IPv6 failure = %+v, want partial", v4.calls[1:])
	}
	if !v6.calls[2].full {
		t.Errorf("IPv6 sync after its failure = %+v, want full", v6.calls[2])
	}
	if err := p.sync(); err != nil || len(v4.calls) != 3 {
		t.Errorf("after recovery an idle sync called the backend: %d calls, %v", len(v4.calls), err)
	}
}

// TestClusterIPsDriveFamilies: spec.clusterIPs (in ipFamilies order) is
// what the family backends program; two of one family are refused.
func TestClusterIPsDriveFamilies(t *testing.T) {
	dual := makeService("web", "fd00:10:96::a", func(s *v1.Service) {
		s.Spec.ClusterIPs = []string{"fd00:10:96::a", "10.96.0.10"}
		s.Spec.IPFamilies = []v1.IPFamily{v1.IPv6Protocol, v1.IPv4Protocol}
	})
	ports, err := servicePortsFor(dual)
	if err != nil || len(ports) != 1 {
		t.Fatalf("dual-stack Service: %v, %v", ports, err)
	}
	for _, sp := range ports {
		if len(sp.ClusterIPs) != 2 || !sp.ClusterIPs[0].Is6() || !sp.ClusterIPs[1].Is4() {
			t.Errorf("ClusterIPs %v, want the IPv6 then the IPv4 one", sp.ClusterIPs)
		}
	}
	twoV4 := makeService("bad", "10.96.0.10", func(s *v1.Service) { s.Spec.ClusterIPs = []string{"10.96.0.10", "10.96.0.11"} })
	if _, err := servicePortsFor(twoV4); err == nil {
		t.Error("two IPv4 ClusterIPs must be refused")
	}
}

// TestChangesMarkEveryFamilyQueued: kube-proxy's last-queued timestamp is
// set for each family on every change, as each of its per-family
// proxiers hears of every change.
func TestChangesMarkEveryFamilyQueued(t *testing.T) {
	p := NewProxier(Config{NodeName: "node-a"}, NewFamilyBackends(
		&FamilyBackend{Family: v1.IPv4Protocol, Backend: &recordingBackend{}},
		&FamilyBackend{Family: v1.IPv6Protocol, Backend: &recordingBackend{}}))
	lastQueuedTimestamp.Reset()
	p.Handlers().Services.OnServiceAdd(makeService("web", "10.96.0.1"))
	for _, fam := range []string{"IPv4", "IPv6"} {
		var m dto.Metric
		if err := lastQueuedTimestamp.WithLabelValues(fam).(prometheus.Metric).Write(&m); err != nil {
			t.Fatal(err)
		}
		if m.GetGauge().GetValue() == 0 {
			t.Errorf("%s: no last-queued timestamp after a change", fam)
		}
	}
}

// ownFailuresBackend counts its failures itself, as the nftables backend
// does under kube-proxy's nftables-mode metric.
type ownFailuresBackend struct{ recordingBackend }

func (*ownFailuresBackend) CountsSyncFailures() bool { return true }

// TestFailuresCountedOnceUnderTheModesMetric: a backend that counts its
// own failures (nftables) is left out of the iptables restore failure
// counter; the others (iptables, ipvs) count there, as in kube-proxy.
func TestFailuresCountedOnceUnderTheModesMetric(t *testing.T) {
	restoreFailures := func() float64 {
		var m dto.Metric
		if err := syncFailures.WithLabelValues("IPv4").(prometheus.Metric).Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetCounter().GetValue()
	}
	for _, tc := range []struct {
		name    string
		backend Backend
		want    float64
	}{
		{"iptables-like", &recordingBackend{fail: errFake}, 1},
		{"counts its own", &ownFailuresBackend{recordingBackend{fail: errFake}}, 0},
	} {
		fams := NewFamilyBackends(&FamilyBackend{Family: v1.IPv4Protocol, Backend: tc.backend})
		before := restoreFailures()
		if err := fams.Sync(NewTable(), nil, true); err == nil {
			t.Fatalf("%s: the failure must be returned", tc.name)
		}
		if got := restoreFailures() - before; got != tc.want {
			t.Errorf("%s: iptables restore failures counted %v, want %v", tc.name, got, tc.want)
		}
	}
}
