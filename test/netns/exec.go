package netns

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RequireRoot fails (never skips) the test when not running as root: a
// suite that silently skips would look green while proving nothing.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root (network namespaces, iptables): run it as root, e.g. sudo make e2e")
	}
}

// Command returns an exec.Cmd for argv inside namespace ns ("" for the
// current one).
func Command(ns string, argv ...string) *exec.Cmd {
	a := inNS(ns, argv)
	return exec.Command(a[0], a[1:]...)
}

// inNS prefixes argv with `ip netns exec ns`, which execs argv directly:
// the started process's PID is the program's own PID.
func inNS(ns string, argv []string) []string {
	if ns == "" {
		return argv
	}
	return append([]string{"ip", "netns", "exec", ns}, argv...)
}

// Exec runs argv inside ns and returns its combined output. A deadline
// keeps a hung helper from hanging the suite; exec.Cmd always waits for
// (reaps) the process, which matters because PID 1 here does not.
func Exec(ns string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := inNS(ns, argv)
	cmd := exec.CommandContext(ctx, a[0], a[1:]...)
	cmd.WaitDelay = 2 * time.Second // a grandchild holding the pipe
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Run is Exec that fails the test on error.
func Run(t testing.TB, ns string, argv ...string) string {
	t.Helper()
	out, err := Exec(ns, argv...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// IP runs `ip -n ns args...` (iproute2 enters the namespace itself).
func IP(t testing.TB, ns string, args ...string) string {
	t.Helper()
	return Run(t, "", append([]string{"ip", "-n", ns}, args...)...)
}
