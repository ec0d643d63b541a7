package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// runMainEnv makes the test binary run main() instead of the tests, so the
// dispatch is exercised exactly as a runtime or a human would exec it.
const runMainEnv = "NODENET_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func execSelf(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), append(env, runMainEnv+"=1")...)
	// Standard output only: a -race build prints a notice on stderr.
	out, _ := cmd.Output() // exit status differs between stub and plugin
	return string(out)
}

func TestCNICommandRunsPlugin(t *testing.T) {
	// Arguments a runtime would never pass must not matter: CNI_COMMAND wins.
	out := execSelf(t, []string{"CNI_COMMAND=VERSION"}, "version")
	if !strings.Contains(out, "cniVersion") {
		t.Errorf("CNI_COMMAND=VERSION output = %q, want a CNI JSON answer", out)
	}
}

func TestNoCNICommandRunsCLI(t *testing.T) {
	out := execSelf(t, []string{"CNI_COMMAND="}, "version")
	if !strings.HasPrefix(out, "nodenet ") || strings.Contains(out, "cniVersion") {
		t.Errorf("version output = %q, want the CLI's version line", out)
	}
}

// TestTraceExitStatus: main turns app.ExitError into the status `nodenet
// trace` documents (0 allow, 1 deny, 2 error), printing nothing on a deny.
func TestTraceExitStatus(t *testing.T) {
	offline := []string{"trace", "--manifests", "app/testdata/netpol", "--hostname-override", "node-a", "--to", "10.1.0.10"}
	tests := []struct {
		args       []string
		wantStatus int
		wantError  bool
	}{
		{[]string{"--from", "x/api", "--port", "5432/TCP"}, 0, false},
		{[]string{"--from", "x/api", "--port", "80/TCP"}, 1, false},
		{[]string{"--from", "x/nope", "--port", "80/TCP"}, 2, true},
	}
	for _, tt := range tests {
		cmd := exec.Command(os.Args[0], append(offline, tt.args...)...)
		cmd.Env = append(os.Environ(), "CNI_COMMAND=", runMainEnv+"=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		_ = cmd.Run()
		if got := cmd.ProcessState.ExitCode(); got != tt.wantStatus {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tt.args, got, tt.wantStatus, stderr.String())
		}
		if hasError := strings.Contains(stderr.String(), "Error: "); hasError != tt.wantError {
			t.Errorf("%v: stderr %q, want an error line: %v", tt.args, stderr.String(), tt.wantError)
		}
		// The offline trace runs the proxy core, whose log lines are an
		// agent operator's, not the SRE's: stdout has the answer, stderr
		// nothing but an error.
		if !tt.wantError && stderr.Len() != 0 {
			t.Errorf("%v: stderr %q, want nothing", tt.args, stderr.String())
		}
	}
}
