//go:build e2e

// Package clustere2e runs nodenet on nodes made of network namespaces
// against a real etcd + kube-apiserver (package controlplane): everything
// reaches the agents only through the API server, as in a cluster.
package clustere2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// nodenetBin is the agent under test: $NODENET_BIN (make builds it once),
// else bin/nodenet built from this checkout.
var nodenetBin string

// repoRoot is the product's checkout (test/cluster is a module inside it).
var repoRoot string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	netns.CleanupOnSignal()
	var err error
	if repoRoot, err = findRepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster e2e:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "nnt-k-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	netns.EchoBin = filepath.Join(tmp, "nnt-echo")
	if err := goBuild("./test/cmd/nnt-echo", netns.EchoBin); err != nil {
		fmt.Fprintln(os.Stderr, "cluster e2e: building nnt-echo:", err)
		return 1
	}
	if nodenetBin, err = findNodenet(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster e2e:", err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "cluster e2e: testing", nodenetBin)
	code := m.Run()
	if left := netns.Leftovers(); len(left) > 0 {
		fmt.Fprintln(os.Stderr, "cluster e2e: namespaces left behind:", left)
		return 1
	}
	return code
}

// findRepoRoot: `go env GOMOD` names test/cluster/go.mod; the product is
// two folders up. (netns.RepoRoot would name test/cluster.)
func findRepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(filepath.Dir(filepath.Dir(strings.TrimSpace(string(out)))))
	if _, err := os.Stat(filepath.Join(root, "cmd", "nodenet")); err != nil {
		return "", fmt.Errorf("no cmd/nodenet under %s: %w", root, err)
	}
	return root, nil
}

func findNodenet() (string, error) {
	if bin := os.Getenv("NODENET_BIN"); bin != "" {
		if !filepath.IsAbs(bin) {
			bin = filepath.Join(repoRoot, bin)
		}
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("NODENET_BIN: %w", err)
		}
		return bin, nil
	}
	bin := filepath.Join(repoRoot, "bin", "nodenet")
	if err := goBuild("./cmd/nodenet", bin); err != nil {
		return "", fmt.Errorf("building nodenet: %w", err)
	}
	return bin, nil
}

// goBuild builds a package of the product module, statically (the
// binaries run under `ip netns exec`).
func goBuild(pkg, out string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}
