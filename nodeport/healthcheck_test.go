package nodeport

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/proxy"
)

var web = types.NamespacedName{Namespace: "default", Name: "web"}

// freePort returns a port nobody listens on at 127.0.0.1 right now.
func freePort(t *testing.T) int32 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return int32(ln.Addr().(*net.TCPAddr).Port)
}

func loopback(port int32) (net.Listener, error) {
	return net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(int(port)))
}

func newLoopbackServers(t *testing.T, healthy *atomic.Bool) *HealthServers {
	h := newHealthServers(healthy.Load, loopback)
	t.Cleanup(h.Close)
	return h
}

func get(t *testing.T, port int32) (int, answer, http.Header) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("body: %v", err)
	}
	return resp.StatusCode, a, resp.Header
}

func TestHealthCheckAnswers(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	h := newLoopbackServers(t, &healthy)
	port := freePort(t)
	for _, tc := range []struct {
		name     string
		local    int
		healthy  bool
		wantCode int
	}{
		{"local endpoints", 2, true, http.StatusOK},
		{"no local endpoint", 0, true, http.StatusServiceUnavailable},
		{"proxy unhealthy", 2, false, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			healthy.Store(tc.healthy)
			h.SyncHealthChecks(map[types.NamespacedName]proxy.HealthCheck{web: {NodePort: port, LocalEndpoints: tc.local}})
			code, a, hdr := get(t, port)
			if code != tc.wantCode {
				t.Errorf("status %d, want %d", code, tc.wantCode)
			}
			if a.Service.Namespace != "default" || a.Service.Name != "web" || a.LocalEndpoints != tc.local || a.ServiceProxyHealthy != tc.healthy {
				t.Errorf("body %+v", a)
			}
			if w := hdr.Get("X-Load-Balancing-Endpoint-Weight"); w != strconv.Itoa(tc.local) {
				t.Errorf("weight header %q, want %d", w, tc.local)
			}
		})
	}
}

func TestHealthCheckServerClosedWithItsService(t *testing.T) {
	var healthy atomic.Bool
	h := newLoopbackServers(t, &healthy)
	port := freePort(t)
	h.SyncHealthChecks(map[types.NamespacedName]proxy.HealthCheck{web: {NodePort: port, LocalEndpoints: 1}})
	get(t, port)
	h.SyncHealthChecks(nil)
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		c.Close()
		t.Fatal("the port still listens after its Service went")
	}
}

// A port that cannot be bound is retried at each sync until it works.
func TestHealthCheckPortRetriedNextSync(t *testing.T) {
	var calls atomic.Int32
	busy := errors.New("address already in use")
	h := newHealthServers(func() bool { return true }, func(port int32) (net.Listener, error) {
		if calls.Add(1) <= 2 {
			return nil, busy
		}
		return loopback(port)
	})
	t.Cleanup(h.Close)
	port := freePort(t)
	want := map[types.NamespacedName]proxy.HealthCheck{web: {NodePort: port, LocalEndpoints: 1}}
	for i := 0; i < 3; i++ {
		h.SyncHealthChecks(want)
	}
	if code, _, _ := get(t, port); code != http.StatusOK {
		t.Errorf("status %d after the port freed up", code)
	}
	h.SyncHealthChecks(want)
	if n := calls.Load(); n != 3 {
		t.Errorf("listen called %d times, want 3 (no reopen once bound)", n)
	}
}
