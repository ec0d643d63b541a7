//go:build e2e

// Package clustere2e runs nodenet on nodes made of network namespaces
// against a real etcd + kube-apiserver (package controlplane): everything
// reaches the agents only through the API server, as in a cluster.
package clustere2e

import (
	"fmt"
	"os"
	"path/filepath"
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
	if repoRoot, err = netns.RepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster e2e:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "nnt-k-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := netns.PrepareEcho(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "cluster e2e:", err)
		return 1
	}
	if nodenetBin, err = netns.NodenetBin(filepath.Join(repoRoot, "bin", "nodenet")); err != nil {
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
