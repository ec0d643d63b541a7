package netns

import (
	"fmt"
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

// NodenetBin is the nodenet binary a suite tests: $NODENET_BIN when set
// (CI builds once, with version flags; a relative path is taken from the
// repository root, where make and people run from, since go test runs a
// suite in its package folder), else ./cmd/nodenet of this checkout built
// into out.
func NodenetBin(out string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	if bin := os.Getenv("NODENET_BIN"); bin != "" {
		if !filepath.IsAbs(bin) {
			bin = filepath.Join(root, bin)
		}
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("NODENET_BIN: %w", err)
		}
		return bin, nil
	}
	if err := GoBuild("./cmd/nodenet", out); err != nil {
		return "", fmt.Errorf("building nodenet: %w", err)
	}
	return out, nil
}
