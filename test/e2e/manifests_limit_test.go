//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// hugeManifestMiB is the size of the file written by mistake: the issue
// saw the agent reach ~358 MB with one of 50 MB.
const (
	hugeManifestMiB = 50
	agentPeakBound  = 200 << 20 // bytes
)

// TestManifestOverTheSizeLimitRefused: a 50 MiB manifest is refused with
// an error naming it, the agent's peak memory stays bounded, and it keeps
// serving what the folder declared before.
func TestManifestOverTheSizeLimitRefused(t *testing.T) {
	s := webScenario(t)
	var b strings.Builder
	b.WriteString(service{Name: "huge", ClusterIP: "10.96.0.99", Ports: tcpUDP(80, 0)}.YAML())
	line := "# " + strings.Repeat("x", 1022) + "\n"
	for range hugeManifestMiB << 10 {
		b.WriteString(line)
	}
	s.write("huge.yaml", b.String())
	netns.Eventually(t, 20*time.Second, "the agent refuses huge.yaml", func() error {
		if out := s.agent.Output(); !strings.Contains(out, "huge.yaml") || !strings.Contains(out, "over the manifest size limit") {
			return fmt.Errorf("no refusal of huge.yaml in the agent's log")
		}
		return nil
	})
	peak := peakRSS(t, s.agent.PID())
	t.Logf("agent peak RSS %d MiB", peak>>20)
	if peak > agentPeakBound {
		t.Errorf("agent peak RSS %d MiB after a %d MiB manifest, want at most %d MiB", peak>>20, hugeManifestMiB, agentPeakBound>>20)
	}
	s.mustAnswer(s.pod("pod-c"), "tcp", webIP+":80", 1)
}

// peakRSS is a process's VmHWM in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}
