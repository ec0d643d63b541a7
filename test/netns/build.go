package netns

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// RepoRoot returns the module root (the directory holding go.mod), found
// with `go env GOMOD` so it works from any package directory.
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// GoBuild builds package pkg (e.g. "./test/cmd/nnt-echo") of the module
// into out, statically (the binaries run under `ip netns exec`).
func GoBuild(pkg, out string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}
