//go:build e2e

package cnie2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/version"
)

// referenceVersion is the release of containernetworking/plugins whose
// bridge and host-local the benchmarks run as the anchor: what a node
// without nodenet would exec for the same config.
const referenceVersion = "v1.10.0"

var (
	referenceOnce sync.Once
	referenceDir  string
	referenceErr  error
)

// referencePlugins builds bridge and host-local at referenceVersion from
// the Go module proxy, once per version: the binaries are kept under the
// temp dir between runs.
func referencePlugins(b testing.TB) string {
	b.Helper()
	referenceOnce.Do(func() {
		referenceDir = filepath.Join(os.TempDir(), "nnt-c-reference-"+referenceVersion)
		if allExist(referenceDir, "bridge", "host-local") {
			return
		}
		mod := "github.com/containernetworking/plugins/plugins/"
		cmd := exec.Command("go", "install", mod+"main/bridge@"+referenceVersion, mod+"ipam/host-local@"+referenceVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+referenceDir, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			referenceErr = err
			b.Logf("go install: %s", out)
		}
	})
	if referenceErr != nil {
		b.Fatalf("building the reference plugins %s: %v", referenceVersion, referenceErr)
	}
	return referenceDir
}

func allExist(dir string, names ...string) bool {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}

// usePlugins makes libcni look for plugins in dir instead of nodenet's.
func (e *env) usePlugins(dir string) {
	ex := &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}, PluginDecoder: version.PluginDecoder{}}
	e.cni = libcni.NewCNIConfigWithCacheDir([]string{dir}, e.cache, ex)
}
