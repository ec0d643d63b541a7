//go:build e2e

package contract

import (
	"os"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// TestMain builds the echo helper that the packet test's pods run.
func TestMain(m *testing.M) {
	os.Exit(netns.MainWithEcho(m, "ctr"))
}

// newNS makes an empty namespace for one test, removed even when it fails.
func newNS(t *testing.T, role string) *netns.NS {
	t.Helper()
	netns.RequireRoot(t)
	return netns.New(t, netns.UniquePrefix("ctr")+"-"+role)
}
