//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// failingRestores puts iptables-restore and ip6tables-restore wrappers in
// a new directory: while the returned flag file exists, they refuse any
// input that touches the firewall's chains (NODENET-FW…) and pass the
// proxy's through, so only the firewall cannot apply.
func failingRestores(t *testing.T) (dir, flag string) {
	t.Helper()
	dir = t.TempDir()
	flag = filepath.Join(dir, "fail")
	for _, name := range []string{"iptables-restore", "ip6tables-restore"} {
		real, err := exec.LookPath(name)
		if err != nil {
			t.Fatal(err)
		}
		script := fmt.Sprintf(`#!/bin/sh
in=$(mktemp)
cat >"$in"
if [ -e %q ] && grep -q NODENET-FW "$in"; then
	rm -f "$in"; echo "nnt: firewall restore refused by the test" >&2; exit 1
fi
%q "$@" <"$in"; rc=$?
rm -f "$in"; exit $rc
`, flag, real)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, flag
}

// healthz is nil when /healthz answers 200.
func (s *scenario) healthz() error {
	ans, err := netns.Dial(s.topo.Node.Name, "http", "http://127.0.0.1:10256/healthz", 1, time.Second)
	if err != nil {
		return err
	}
	// The JSON body is not an echo answer: only an ERR line is a failure.
	if strings.HasPrefix(ans[0].Line, "ERR") {
		return errors.New(ans[0].Line)
	}
	return nil
}

// metricValue is a metric's value as the metrics server prints it.
func (s *scenario) metricValue(name string) (string, error) {
	out, err := s.topo.Node.Exec("curl", "-sf", "http://127.0.0.1:10249/metrics")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("no %s in the metrics", name)
}

// waitMetric polls until the metric has value want (the health gauges
// are refreshed every second).
func (s *scenario) waitMetric(name, want string) {
	s.t.Helper()
	netns.Eventually(s.t, 5*time.Second, name+" = "+want, func() error {
		v, err := s.metricValue(name)
		if err != nil {
			return err
		}
		if v != want {
			return fmt.Errorf("%s = %s", name, v)
		}
		return nil
	})
}

// TestNetworkPolicyHealthWhenFirewallCannotApply: with the firewall's
// iptables-restore failing, a new NetworkPolicy waits, and /healthz turns
// 503 and nodenet_netpol_healthy 0 once it has waited twice the sync
// period (2 s here); both recover when the firewall can apply again, and
// the policy is then enforced.
func TestNetworkPolicyHealthWhenFirewallCannotApply(t *testing.T) {
	dir, flag := failingRestores(t)
	s := newPairScenario(t, []string{"PATH=" + dir + ":" + os.Getenv("PATH")},
		"--iptables-sync-period", "1s", "--iptables-min-sync-period", "100ms")
	netns.Eventually(t, 10*time.Second, "/healthz 200 before the failure", s.healthz)

	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s.write("np-x-deny.yaml", policyYAML("x", "deny", "podSelector: {}\npolicyTypes: [Ingress]\n"))
	netns.Eventually(t, 15*time.Second, "/healthz 503 while the policy waits", func() error {
		if s.healthz() == nil {
			return errors.New("/healthz still 200")
		}
		return nil
	})
	s.waitMetric("nodenet_netpol_healthy", "0")
	if ans, _ := s.dial(s.pod("pod-a"), "tcp", pairTarget(s), 1); len(ans) != 1 || ans[0].Err != "" {
		t.Fatalf("the policy is enforced though the firewall cannot apply: %v", ans)
	}

	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	netns.Eventually(t, 15*time.Second, "/healthz 200 after the repair", s.healthz)
	s.waitMetric("nodenet_netpol_healthy", "1")
	netns.Eventually(t, 10*time.Second, "the policy enforced", s.pairRefused)
}

// newPairScenario: pods pod-a and pod-b in namespace x, declared to the
// agent (started with env and flags), pod-a reaching pod-b.
func newPairScenario(t *testing.T, env []string, flags ...string) *scenario {
	s := newScenario(t, "pod-a", "pod-b")
	s.agentEnv = env
	s.write("node.yaml", policyNodeYAML())
	s.write("ns-x.yaml", namespaceYAML("x"))
	for _, name := range []string{"pod-a", "pod-b"} {
		p := s.topo.Pod(t, name)
		s.write("pod-"+name+".yaml", podYAML(podRef{NS: "x", Name: name}, nodeName, p.IP, p.IP6))
	}
	s.startAgent(flags...)
	s.waitServing(s.pod("pod-a"), "tcp", pairTarget(s))
	return s
}

func pairTarget(s *scenario) string { return s.topo.Pod(s.t, "pod-b").IP + ":8080" }

// pairRefused is nil when pod-a cannot connect to pod-b.
func (s *scenario) pairRefused() error {
	ans, err := s.dial(s.pod("pod-a"), "tcp", pairTarget(s), 1)
	if err != nil {
		return err
	}
	if ans[0].Err == "" {
		return errors.New("pod-a reaches pod-b")
	}
	return nil
}
