//go:build e2e

package netns

import (
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	os.Exit(MainWithEcho(m, "netns"))
}

// TestTopologyTraffic proves the harness without nodenet: pod to pod over
// the bridge, node to pod, and the outside client to a pod routed by the
// node, over TCP and UDP; and that every namespace is gone afterwards.
func TestTopologyTraffic(t *testing.T) {
	var prefix string
	t.Run("traffic", func(t *testing.T) {
		topo := NewProxyTopology(t, "e", "pod-a", "pod-b")
		prefix = topo.Prefix
		a, b := topo.Pods[0], topo.Pods[1]
		a.StartEcho(t, 8080, 0)
		b.StartEcho(t, 8080, 0)
		cases := []struct {
			from, to *NS
			toIP     string
			want     string
			srcIP    string
		}{
			{a.NS, b.NS, b.IP, "pod-b", a.IP},
			{b.NS, a.NS, a.IP, "pod-a", b.IP},
			{topo.Node, a.NS, a.IP, "pod-a", NodePodIP},
			{topo.Client, b.NS, b.IP, "pod-b", ClientIP},
		}
		for _, c := range cases {
			for _, proto := range []string{"tcp", "udp"} {
				ans, err := Dial(c.from.Name, proto, c.toIP+":8080", 3, 2*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				for _, an := range ans {
					if an.Pod != c.want || an.Source != c.srcIP {
						t.Errorf("%s %s -> %s: got %q, want %s seeing %s", proto, c.from.Name, c.toIP, an.Line, c.want, c.srcIP)
					}
				}
			}
		}
	})
	if left := List(prefix); len(left) != 0 {
		t.Fatalf("namespaces left after cleanup: %v", left)
	}
}

// TestClosedPortRefused checks the harness reports ECONNREFUSED as
// "refused" across namespaces (the e2e no-endpoints test relies on it).
func TestClosedPortRefused(t *testing.T) {
	topo := NewProxyTopology(t, "e", "pod-a")
	for _, proto := range []string{"tcp", "udp"} {
		start := time.Now()
		ans, _ := Dial(topo.Client.Name, proto, topo.Pods[0].IP+":9999", 1, 3*time.Second)
		if len(ans) != 1 || ans[0].Err != "refused" {
			t.Fatalf("%s to closed port: %v, want refused", proto, ans)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s refused took %v", proto, d)
		}
	}
}

// TestNoRouteOut checks that the pods cannot leave the test namespaces:
// the node has no default route.
func TestNoRouteOut(t *testing.T) {
	topo := NewProxyTopology(t, "e", "pod-a")
	if out, err := topo.Node.Exec("ip", "route", "get", "198.51.100.1"); err == nil {
		t.Fatalf("node has a route out: %s", out)
	}
}

// TestProcStopReaps checks Stop ends a process group and reaps it.
func TestProcStopReaps(t *testing.T) {
	RequireRoot(t)
	p := Start(t, "", "sleeper", "sleep", "60")
	p.Stop()
	if exited, _ := p.Exited(); !exited {
		t.Fatal("process not reaped after Stop")
	}
}
