//go:build e2e

package contract

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// TestMain builds the echo helper that the packet test's pods run.
func TestMain(m *testing.M) {
	netns.CleanupOnSignal()
	dir, err := os.MkdirTemp("", "nnt-ctr-test-")
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

// newNS makes an empty namespace for one test, removed even when it fails.
func newNS(t *testing.T, role string) *netns.NS {
	t.Helper()
	netns.RequireRoot(t)
	return netns.New(t, netns.UniquePrefix("ctr")+"-"+role)
}
