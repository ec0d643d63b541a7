//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// proxyMode is the agent's --proxy-mode under test: $NODENET_PROXY_MODE,
// iptables by default (`make e2e` runs the suite once per mode).
var proxyMode = "iptables"

// nodenetBin is the binary under test: $NODENET_BIN, or bin/nodenet built
// from this checkout by TestMain.
var nodenetBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	netns.CleanupOnSignal()
	tmp, err := os.MkdirTemp("", "nnt-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := netns.PrepareEcho(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if nodenetBin, err = findNodenet(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if m := os.Getenv("NODENET_PROXY_MODE"); m != "" {
		proxyMode = m
	}
	fmt.Fprintln(os.Stderr, "e2e: testing", nodenetBin, "in proxy mode", proxyMode)
	code := m.Run()
	if left := netns.Leftovers(); len(left) > 0 {
		fmt.Fprintln(os.Stderr, "e2e: namespaces left behind:", left)
		return 1
	}
	return code
}

// findNodenet honours $NODENET_BIN and otherwise builds bin/nodenet so a
// plain `go test` tests this checkout.
func findNodenet() (string, error) {
	if bin := os.Getenv("NODENET_BIN"); filepath.IsAbs(bin) {
		_, err := os.Stat(bin) // no `go env` needed: the VM has no toolchain
		return bin, err
	}
	root, err := netns.RepoRoot()
	if err != nil {
		return "", err
	}
	return netns.NodenetBin(filepath.Join(root, "bin", "nodenet"))
}
