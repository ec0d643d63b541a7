package netns

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// productModule is the module path of nodenet itself.
const productModule = "github.com/nodenet/nodenet"

// RepoRoot returns the root of nodenet's own module (the directory whose
// go.mod declares github.com/nodenet/nodenet), found from `go env GOMOD`
// and its parents, so it works from any package directory, including
// those of modules nested in the repository (test/cluster).
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	for dir := filepath.Dir(strings.TrimSpace(string(out))); ; dir = filepath.Dir(dir) {
		if declaresProduct(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		if dir == filepath.Dir(dir) {
			return "", fmt.Errorf("no go.mod of %s above %s", productModule, strings.TrimSpace(string(out)))
		}
	}
}

func declaresProduct(goMod string) bool {
	b, err := os.ReadFile(goMod)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "module "+productModule {
			return true
		}
	}
	return false
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
