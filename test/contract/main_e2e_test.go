//go:build e2e

package contract

import (
	"os"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

func TestMain(m *testing.M) {
	netns.CleanupOnSignal()
	os.Exit(m.Run())
}

// newNS makes an empty namespace for one test, removed even when it fails.
func newNS(t *testing.T, role string) *netns.NS {
	t.Helper()
	netns.RequireRoot(t)
	return netns.New(t, netns.UniquePrefix("ctr")+"-"+role)
}
