//go:build e2e

package firewall

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// TestMain builds the echo helper the traffic test's pods run.
func TestMain(m *testing.M) {
	netns.CleanupOnSignal()
	dir, err := os.MkdirTemp("", "nnt-fw-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	netns.EchoBin = filepath.Join(dir, "nnt-echo")
	if err := netns.GoBuild("./test/cmd/nnt-echo", netns.EchoBin); err != nil {
		fmt.Fprintln(os.Stderr, "building nnt-echo:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
