package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// PrepareEcho points EchoBin at the nnt-echo helper: $NNT_ECHO_BIN when
// set (a prebuilt helper, where there is no Go toolchain: the IPVS VM,
// test/vm), else ./test/cmd/nnt-echo built into dir.
func PrepareEcho(dir string) error {
	if bin := os.Getenv("NNT_ECHO_BIN"); bin != "" {
		EchoBin = bin
		return nil
	}
	EchoBin = filepath.Join(dir, "nnt-echo")
	if err := GoBuild("./test/cmd/nnt-echo", EchoBin); err != nil {
		return fmt.Errorf("building nnt-echo: %w", err)
	}
	return nil
}

// MainWithEcho is the TestMain of a suite whose pods run nnt-echo: it
// removes the suite's namespaces on a signal, prepares the helper in a
// temporary folder named after tag, runs the tests and returns their
// exit code (for os.Exit).
func MainWithEcho(m *testing.M, tag string) int {
	CleanupOnSignal()
	dir, err := os.MkdirTemp("", "nnt-"+tag+"-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := PrepareEcho(dir); err != nil {
		fmt.Fprintln(os.Stderr, tag+":", err)
		return 1
	}
	return m.Run()
}
