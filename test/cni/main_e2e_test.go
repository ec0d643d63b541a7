//go:build e2e

package cnie2e

import (
	"os"
	"testing"
)

// TestMain removes the shared plugin build directory after all tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}
