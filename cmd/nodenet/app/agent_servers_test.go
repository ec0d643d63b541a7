package app

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy"
)

type nopBackend struct{}

func (nopBackend) Sync(*proxy.Table, sets.Set[proxy.ServicePortName], bool) error { return nil }

func newTestProxier() *proxy.Proxier {
	return proxy.NewProxier(proxy.Config{NodeName: "node-a", MinSyncPeriod: time.Millisecond, SyncPeriod: time.Second}, nopBackend{})
}

func TestRunUntilDoneStopsOnCancel(t *testing.T) {
	p := newTestProxier()
	servers, err := listenServers(&agentConfig{HealthzBindAddr: "127.0.0.1:0", MetricsBindAddr: "127.0.0.1:0"}, p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) != 2 {
		t.Fatalf("servers = %d, want 2", len(servers))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runUntilDone(ctx, servers, func() error { return nil }, p.Run) }()

	// 200 or 503 is the proxier's call; this test checks the wiring.
	waitForStatus(t, "http://"+servers[0].Addr().String()+"/healthz", http.StatusOK, http.StatusServiceUnavailable)
	waitForStatus(t, "http://"+servers[1].Addr().String()+"/dump", http.StatusOK)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runUntilDone = %v, want nil after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("runUntilDone did not return after cancel")
	}
}

func TestListenServersDisabled(t *testing.T) {
	servers, err := listenServers(&agentConfig{}, newTestProxier(), nil, nil)
	if err != nil || len(servers) != 0 {
		t.Errorf("listenServers with empty addresses = %d servers, %v; want none", len(servers), err)
	}
}

func TestListenServersPortTaken(t *testing.T) {
	p := newTestProxier()
	first, err := listenServers(&agentConfig{MetricsBindAddr: "127.0.0.1:0"}, p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(first)
	taken := first[0].Addr().String()
	if _, err := listenServers(&agentConfig{HealthzBindAddr: "127.0.0.1:0", MetricsBindAddr: taken}, p, nil, nil); err == nil {
		t.Error("listenServers on a taken port succeeded")
	}
}

func waitForStatus(t *testing.T, url string, want ...int) {
	t.Helper()
	var got int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			continue
		}
		resp.Body.Close()
		if got = resp.StatusCode; slices.Contains(want, got) {
			return
		}
	}
	t.Errorf("GET %s = %d, want one of %v", url, got, want)
}
