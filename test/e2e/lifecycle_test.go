//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// TestAgentRestart: rules left by a stopped agent are taken over by the
// next one, which applies what changed while nobody was running.
func TestAgentRestart(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	s.agent.Stop()
	if _, err := s.agent.Exited(); err != nil {
		t.Errorf("agent did not exit cleanly on SIGTERM: %v", err)
	}
	// Rules stay while the agent is down (as kube-proxy's do).
	s.mustAnswer(s.pod("pod-c"), "tcp", webIP+":80", 3)
	s.write("eps-web.yaml", sliceYAML(web, s.ep("pod-a")))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	netns.Eventually(t, 5*time.Second, "only pod-a answers after restart", func() error {
		if got := pods(s.mustAnswer(s.pod("pod-c"), "tcp", webIP+":80", 10)); got["pod-a"] != 10 {
			return fmt.Errorf("answers %v", got)
		}
		return nil
	})
}

// TestMalformedManifest: a broken file in the folder does not stop the
// agent from serving the good ones (nor from picking up later edits).
func TestMalformedManifest(t *testing.T) {
	s := newScenario(t, "pod-a", "pod-b", "pod-c")
	s.write("broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: broken\nspec: [[[\n")
	s.write("wrongkind.yaml", "apiVersion: v1\nkind: Service\nspec:\n  ports: \"not a list\"\n")
	s.addService(web, s.ep("pod-a"), s.ep("pod-b"))
	s.startAgent("--cluster-cidr", "10.244.0.0/16")
	for _, proto := range protos {
		s.waitServing(s.pod("pod-c"), proto, webIP+":80")
	}
	late := service{Name: "late", Type: "ClusterIP", ClusterIP: "10.96.0.50", Ports: tcpUDP(80, 0)}
	s.addService(late, s.ep("pod-b"))
	a := s.waitServing(s.pod("pod-c"), "tcp", "10.96.0.50:80")
	if a.Pod != "pod-b" {
		t.Errorf("late answered from %q, want pod-b", a.Pod)
	}
	if exited, err := s.agent.Exited(); exited {
		t.Fatalf("agent exited: %v", err)
	}
}

// TestDumpAndHealthz: `nodenet dump` describes the Services it serves and
// /healthz answers on the configured address.
func TestDumpAndHealthz(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16")
	out, err := s.nodenet("dump")
	if err != nil {
		t.Fatalf("nodenet dump: %v\n%s", err, out)
	}
	for _, want := range []string{"web", webIP} {
		if !strings.Contains(out, want) {
			t.Errorf("nodenet dump lacks %q:\n%s", want, out)
		}
	}
	netns.Eventually(t, 10*time.Second, "/healthz answers 200", func() error {
		ans, err := netns.Dial(s.topo.Node.Name, "http", "http://127.0.0.1:10256/healthz", 1, time.Second)
		if err != nil {
			return err
		}
		if strings.HasPrefix(ans[0].Line, "ERR") {
			return errors.New(ans[0].Line)
		}
		return nil
	})
}

// TestVersion: the binary reports a version (make build stamps it from
// git describe, v0.0.0-dev without tags).
func TestVersion(t *testing.T) {
	out, err := netns.Exec("", nodenetBin, "version")
	if err != nil {
		t.Fatalf("nodenet version: %v", err)
	}
	if !strings.HasPrefix(strings.TrimSpace(out), "nodenet v") {
		t.Errorf("nodenet version printed %q, want \"nodenet v...\"", out)
	}
}
