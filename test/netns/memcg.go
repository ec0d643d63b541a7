package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MemoryCgroup is a memory cgroup (v1, as on the test machines) that a
// process is started in, so that its children (iptables-restore, nft)
// count with it: a child's peak cannot be read from the parent's VmHWM,
// and it overlaps the parent's in time. It sits below the test's own
// memory cgroup, whose limit it shares.
type MemoryCgroup struct{ dir string }

// NewMemoryCgroup makes the cgroup name (prefix it nnt-) and removes it
// at cleanup, after the processes in it have stopped (register it before
// starting them: cleanups run last first).
func NewMemoryCgroup(t testing.TB, name string) *MemoryCgroup {
	t.Helper()
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	dir := "/sys/fs/cgroup/memory"
	for _, line := range strings.Split(string(own), "\n") {
		if parts := strings.SplitN(line, ":", 3); len(parts) == 3 && parts[1] == "memory" {
			dir = filepath.Join(dir, parts[2])
		}
	}
	dir = filepath.Join(dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("memory cgroup: %v", err)
	}
	t.Cleanup(func() {
		// The kernel refuses the rmdir for a moment after the last task left.
		if err := PollUntil(10*time.Second, 50*time.Millisecond, func() error { return os.Remove(dir) }); err != nil {
			t.Errorf("removing cgroup %s: %v", dir, err)
		}
	})
	return &MemoryCgroup{dir: dir}
}

// Wrap makes argv join the cgroup, then run in namespace ns; start the
// result with Start(t, "", name, ...). In that order: `ip netns exec`
// mounts a sysfs of the namespace's own, without the cgroup file systems.
func (cg *MemoryCgroup) Wrap(ns string, argv []string) []string {
	script := fmt.Sprintf(`echo $$ > %s/cgroup.procs && exec "$0" "$@"`, cg.dir)
	return append([]string{"sh", "-c", script, "ip", "netns", "exec", ns}, argv...)
}

// PeakBytes is the most memory the cgroup's processes have used at once
// (memory.max_usage_in_bytes: their RSS plus the page cache they were
// the first to touch).
func (cg *MemoryCgroup) PeakBytes() (uint64, error) {
	data, err := os.ReadFile(filepath.Join(cg.dir, "memory.max_usage_in_bytes"))
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
}
