//go:build e2e

package cnie2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	current "github.com/containernetworking/cni/pkg/types/100"
)

var (
	cnitoolOnce sync.Once
	cnitoolPath string
	cnitoolErr  error
)

// cnitool installs the cnitool command the way the brief asks (go install
// @v1.3.1 into a temp GOBIN); if the module proxy is unreachable it builds
// the same version from this module's dependency graph instead.
func cnitool(t *testing.T) string {
	cnitoolOnce.Do(func() {
		gobin := filepath.Join(pluginDir(t), "gobin")
		cmd := exec.Command("go", "install", "github.com/containernetworking/cni/cnitool@v1.3.1")
		cmd.Env = append(os.Environ(), "GOBIN="+gobin)
		out, err := cmd.CombinedOutput()
		if err == nil {
			cnitoolPath = filepath.Join(gobin, "cnitool")
			return
		}
		t.Logf("go install cnitool@v1.3.1 failed (%v: %s); building it from go.mod instead", err, out)
		cnitoolPath = filepath.Join(gobin, "cnitool")
		cmd = exec.Command("go", "build", "-o", cnitoolPath, "github.com/containernetworking/cni/cnitool")
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			cnitoolErr = err
			t.Logf("building cnitool: %s", out)
		}
	})
	if cnitoolErr != nil {
		t.Fatalf("no cnitool: %v", cnitoolErr)
	}
	return cnitoolPath
}

// runCnitool runs cnitool inside the host netns, in a private mount
// namespace whose /var/lib is the test's cache dir bind-mounted: cnitool
// caches results (CHECK's prevResult) under /var/lib/cni, which this test
// must not write to.
func (e *env) runCnitool(t *testing.T, netconfDir string, args ...string) (string, error) {
	script := `mount --bind "$0" /var/lib && exec ip netns exec "$1" "$2" "$3" "$4" "$5"`
	full := append([]string{"-m", "--propagation", "private", "sh", "-c", script, e.cache, e.host, cnitool(t)}, args...)
	cmd := exec.Command("unshare", full...)
	cmd.Env = append(os.Environ(), "NETCONFPATH="+netconfDir, "CNI_PATH="+pluginDir(t), "CNI_IFNAME=eth0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestCnitool(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	l := e.confList("1.1.0", nil)
	if err := os.WriteFile(filepath.Join(dir, "10-nnt.conflist"), l.Bytes, 0o644); err != nil {
		t.Fatal(err)
	}
	p := e.pod("tool")
	out, err := e.runCnitool(t, dir, "add", l.Name, p)
	if err != nil {
		t.Fatalf("cnitool add: %v\n%s", err, out)
	}
	var res current.Result
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil || len(res.IPs) != 1 {
		t.Fatalf("cnitool add output: %v\n%s", err, out)
	}
	for _, verb := range []string{"check", "status", "del", "del"} {
		if out, err := e.runCnitool(t, dir, verb, l.Name, p); err != nil {
			t.Fatalf("cnitool %s: %v\n%s", verb, err, out)
		}
	}
	if a := e.allocations(); len(a) != 0 {
		t.Fatalf("cnitool del left %v", a)
	}
}

// TestCnitoolGCFreesThePool: upstream `cnitool gc` passes no attachment
// list (libcni then sends no cni.dev/valid-attachments); like the
// reference host-local, GC then takes no attachment as live and frees
// what libcni's own DELs did not know of: here an ADD cnitool never cached.
func TestCnitoolGCFreesThePool(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	l := e.confList("1.1.0", nil)
	if err := os.WriteFile(filepath.Join(dir, "10-nnt.conflist"), l.Bytes, 0o644); err != nil {
		t.Fatal(err)
	}
	e.mustAdd(l, rt("uncached", e.pod("p")))
	if a := e.allocations(); len(a) != 1 {
		t.Fatalf("allocations after ADD: %v", a)
	}
	if out, err := e.runCnitool(t, dir, "gc", l.Name); err != nil {
		t.Fatalf("cnitool gc: %v\n%s", err, out)
	}
	if a := e.allocations(); len(a) != 0 {
		t.Errorf("cnitool gc left %v allocated", a)
	}
	if out := e.ipHost("ip", "-o", "link", "show"); strings.Contains(out, "nnv") {
		t.Errorf("cnitool gc left the host veth:\n%s", out)
	}
	if out := e.ipHost("nft", "list", "set", "bridge", "nodenet-ports", "ports"); strings.Contains(out, "nnv") {
		t.Errorf("cnitool gc left the port enrolled:\n%s", out)
	}
}

// TestNodeAddressInPoolRefused: a range holding an address of the node
// (other than its gateway) is refused with code 7 naming the address, and
// nothing is allocated; a range that leaves it out works.
func TestNodeAddressInPoolRefused(t *testing.T) {
	e := newEnv(t)
	e.ipHost("ip", "link", "add", "nntn0", "type", "veth", "peer", "name", "nntn1")
	e.ipHost("ip", "addr", "add", "10.199.0.5/32", "dev", "nntn0")
	l := e.confList("1.1.0", nil)
	_, err := e.add(l, rt("c1", e.pod("p1")))
	if codeOf(err) != 7 || !strings.Contains(err.Error(), "10.199.0.5") || !strings.Contains(err.Error(), "nntn0") {
		t.Fatalf("ADD with the node's 10.199.0.5 in the pool: want code 7 naming it and its link, got %v", err)
	}
	if a := e.allocations(); len(a) != 0 {
		t.Fatalf("refused ADD allocated %v", a)
	}
	lr := e.confList("1.1.0", func(p map[string]any) {
		p["ipam"].(map[string]any)["ranges"] = []any{[]any{map[string]any{"subnet": "10.199.0.0/24", "rangeStart": "10.199.0.10"}}}
	})
	res := e.mustAdd(lr, rt("c2", e.pod("p2")))
	if got := res.IPs[0].Address.IP.String(); got != "10.199.0.10" {
		t.Errorf("allocated %s, want 10.199.0.10", got)
	}
}
