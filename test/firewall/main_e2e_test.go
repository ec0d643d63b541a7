//go:build e2e

package firewall

import (
	"os"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// TestMain builds the echo helper the traffic test's pods run.
func TestMain(m *testing.M) {
	os.Exit(netns.MainWithEcho(m, "fw"))
}
