//go:build e2e

// Package bench measures nodenet's sync costs on the real kernel, inside
// network namespaces, and a kube-proxy-shaped restore as the anchor.
// Run with `make bench`; figures go to BENCHMARKS.md.
package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

var nodenetBin string

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "bench: must run as root (it makes network namespaces)")
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "nnt-bench-bin-")
	if err != nil {
		panic(err)
	}
	nodenetBin, err = netns.NodenetBin(filepath.Join(dir, "nodenet"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: build nodenet:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
