//go:build e2e

package cnie2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// initializedPackages runs the binary with GODEBUG=inittrace=1 and returns
// the packages whose init ran, in order.
func initializedPackages(t *testing.T, env []string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(filepath.Join(pluginDir(t), "nodenet"), args...)
	cmd.Env = append(os.Environ(), append(env, "GODEBUG=inittrace=1")...)
	cmd.Stdin = strings.NewReader(`{"cniVersion":"1.1.0"}`)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v: %s", args, err, out)
	}
	var pkgs []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "init" {
			pkgs = append(pkgs, f[1])
		}
	}
	return pkgs
}

// pluginPackages are nodenet's packages in the plugin's import graph.
var pluginPackages = map[string]bool{
	"github.com/nodenet/nodenet/cni":                         true,
	"github.com/nodenet/nodenet/cni/hostlocal":               true,
	"github.com/nodenet/nodenet/cni/portfilter":              true,
	"github.com/nodenet/nodenet/internal/plugininit":         true,
	"github.com/nodenet/nodenet/internal/plugininit/oneproc": true,
}

// waitsOnHTTP are packages that import net/http, directly or not: the
// agent's own packages and client-go's. The plugin process must exit
// before any of them initializes (see internal/plugininit). Every nodenet
// package outside the plugin's graph counts: one with an init function
// that sorts before internal/plugininit and waits on little would run
// first (Go initializes ready packages in import-path order), which is
// why internal/tamper/nfwatch keeps none.
func waitsOnHTTP(pkg string) bool {
	if strings.HasPrefix(pkg, "github.com/nodenet/nodenet/") {
		return !pluginPackages[pkg]
	}
	return pkg == "net/http" || strings.HasPrefix(pkg, "k8s.io/client-go/")
}

// TestPluginExitsBeforeAgentInit: a CNI invocation of the real binary runs
// the plugin and exits before the agent's packages initialize, which is
// what keeps the plugin's start-up cheap. The same trace without
// CNI_COMMAND shows they are in the binary.
func TestPluginExitsBeforeAgentInit(t *testing.T) {
	cli := initializedPackages(t, []string{"CNI_COMMAND="}, "version")
	if !containsFunc(cli, waitsOnHTTP) {
		t.Fatalf("the CLI initialized none of the agent's packages: not the agent binary? %v", cli)
	}
	plugin := initializedPackages(t, []string{"CNI_COMMAND=VERSION"})
	if !containsFunc(plugin, func(p string) bool { return p == "github.com/nodenet/nodenet/cni" }) {
		t.Fatalf("package cni did not initialize in a CNI call: %v", plugin)
	}
	for _, p := range plugin {
		if waitsOnHTTP(p) {
			t.Errorf("a CNI VERSION call initialized %s: the plugin no longer runs before the agent's packages", p)
		}
	}
	t.Logf("a plugin process initializes %d packages, the CLI %d", len(plugin), len(cli))
}

func containsFunc(s []string, f func(string) bool) bool {
	for _, v := range s {
		if f(v) {
			return true
		}
	}
	return false
}
