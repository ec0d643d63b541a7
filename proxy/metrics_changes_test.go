package proxy

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	v1 "k8s.io/api/core/v1"
)

func latencyCount(t *testing.T) uint64 {
	t.Helper()
	var m dto.Metric
	if err := networkProgrammingLatency.WithLabelValues("IPv4").(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// TestNetworkProgrammingLatencyFromTriggerTime: a slice change carrying
// the trigger-time annotation is observed once it is in the kernel, not
// while its sync fails, and never for a time before the proxier started
// (the initial list after a restart).
func TestNetworkProgrammingLatencyFromTriggerTime(t *testing.T) {
	p, b := newTestProxier()
	h := p.Handlers()
	h.Services.OnServiceAdd(makeService("web", "10.96.0.1"))
	old := makeSlice("web", "web-1", 8080, ready("10.244.1.2"))
	old.Annotations = map[string]string{v1.EndpointsLastChangeTriggerTime: time.Now().Add(-time.Hour).Format(time.RFC3339Nano)}
	h.EndpointSlices.OnEndpointSliceAdd(old)
	h.Services.OnServicesSynced()
	h.EndpointSlices.OnEndpointSlicesSynced()
	before := latencyCount(t)
	mustSync(t, p)
	if got := latencyCount(t); got != before {
		t.Fatalf("a trigger time from before the start was observed (%d -> %d)", before, got)
	}

	changed := makeSlice("web", "web-1", 8080, ready("10.244.1.3"))
	changed.Annotations = map[string]string{v1.EndpointsLastChangeTriggerTime: time.Now().Format(time.RFC3339Nano)}
	h.EndpointSlices.OnEndpointSliceUpdate(old, changed)
	b.fail = errFake
	if err := p.sync(); err == nil {
		t.Fatal("sync did not fail")
	}
	if got := latencyCount(t); got != before {
		t.Fatalf("observed while the change is not in the kernel (%d -> %d)", before, got)
	}
	b.fail = nil
	mustSync(t, p)
	if got := latencyCount(t); got != before+1 {
		t.Fatalf("latency observations %d -> %d, want one more once programmed", before, got)
	}
}
