package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"strings"
	"testing"
)

// forbiddenDeps are packages the binary must not link, with what to use
// instead. It is exec'd as the CNI plugin for every pod, and client-go's
// full clientset (its scheme registers ~50 API groups at package init,
// plus apply configurations and discovery) cost ~20 ms of CPU per exec
// before main ran. tools/record links strategic merge patch, kube-openapi
// and protobuf descriptors, whose inits run even in a plugin process
// because they do not wait on net/http (see internal/plugininit).
var forbiddenDeps = map[string]string{
	"k8s.io/client-go/kubernetes":   "source.Client",
	"k8s.io/client-go/informers":    "source",
	"k8s.io/client-go/tools/events": "agent/eventrecorder",
	"k8s.io/client-go/tools/record": "agent/eventrecorder",
}

// listedPackage is the part of `go list -json` output this test reads.
type listedPackage struct {
	ImportPath string
	Imports    []string
}

// pluginForbiddenDeps are packages the CNI plugin's code must not import.
// internal/plugininit runs the plugin from its package init, and that only
// happens before the agent's heavy packages initialize while everything it
// imports is light: anything that waits on net/http (client-go,
// apimachinery) would pull those inits in front of it again.
var pluginForbiddenDeps = []string{
	"net/http",
	"k8s.io",
	"sigs.k8s.io",
	"github.com/prometheus",
	"go.opentelemetry.io",
	"google.golang.org/protobuf",
}

// TestBinaryAvoidsHeavyClientGoPackages asks the go tool for the binary's real
// dependency graph (build info of a test binary would describe the test).
// It needs the go tool and fails without it: skipping would hide a
// regression on machines that cannot check.
func TestBinaryAvoidsHeavyClientGoPackages(t *testing.T) {
	for _, p := range goListDeps(t, ".") {
		for _, imp := range p.Imports {
			root, forbidden := forbiddenRoot(imp)
			if _, inside := forbiddenRoot(p.ImportPath); forbidden && !inside {
				t.Errorf("%s imports %s: use %s instead", p.ImportPath, imp, forbiddenDeps[root])
			}
		}
	}
}

// TestBinaryLinksNoTestSupport: test doubles (iptables/iptablestest, and
// any later <pkg>test package) and the test harness under test/ are for
// tests only; a production package importing one would compile the fake
// kernel into the agent.
func TestBinaryLinksNoTestSupport(t *testing.T) {
	for _, p := range goListDeps(t, ".") {
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module) && isTestSupport(strings.TrimPrefix(imp, module)) {
				t.Errorf("%s imports the test-support package %s", p.ImportPath, imp)
			}
		}
	}
}

func isTestSupport(rel string) bool {
	return strings.HasPrefix(rel, "test/") || strings.HasSuffix(path.Base(rel), "test")
}

// TestPluginImportsStayLight: see pluginForbiddenDeps.
func TestPluginImportsStayLight(t *testing.T) {
	for _, p := range goListDeps(t, "github.com/nodenet/nodenet/internal/plugininit") {
		if isUnder(p.ImportPath, pluginForbiddenDeps) {
			t.Errorf("the CNI plugin links %s: it would initialize the agent's heavy packages in every plugin process", p.ImportPath)
		}
	}
}

func goListDeps(t *testing.T, pkg string) []listedPackage {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this test needs the go tool on PATH: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-deps", "-json=ImportPath,Imports", pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as `make build`
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs, err := decodePackages(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list returned %d packages for %s: not its graph", len(pkgs), pkg)
	}
	return pkgs
}

func decodePackages(out []byte) ([]listedPackage, error) {
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return pkgs, nil
		}
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
}

func forbiddenRoot(pkg string) (string, bool) {
	for root := range forbiddenDeps {
		if isUnder(pkg, []string{root}) {
			return root, true
		}
	}
	return "", false
}

func isUnder(pkg string, roots []string) bool {
	for _, f := range roots {
		if pkg == f || strings.HasPrefix(pkg, f+"/") {
			return true
		}
	}
	return false
}
