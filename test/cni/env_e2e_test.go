//go:build e2e

// End-to-end tests of the nodenet CNI plugin. Everything runs inside network
// namespaces created here (prefix nnt-c-): a "host" netns that holds the
// bridge and iptables rules, and one netns per pod. The root namespace's
// links and iptables are never touched; no netns has a route out.
package cnie2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
	"github.com/vishvananda/netns"

	harness "github.com/nodenet/nodenet/test/netns"
)

const nsPrefix = "nnt-c-"

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// requireRoot fails (never skips) a test that needs root.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this e2e test needs root (netns, veth, iptables); run: sudo go test -tags e2e ./test/cni/")
	}
}

// repoRoot is the checkout's root, where the suite's go commands run.
func repoRoot() string {
	root, err := harness.RepoRoot()
	if err != nil {
		panic(err) // no go toolchain: nothing here can run
	}
	return root
}

// pluginDir prepares CNI_PATH once: $NODENET_BIN if set, else cmd/nodenet
// built here. NNT_CNI_PLUGIN_PKG=./test/cni/plugin builds the stand-in
// instead (to compare the exec cost of the full agent binary).
func pluginDir(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "nnt-c-bin-")
		if buildErr != nil {
			return
		}
		out := filepath.Join(binDir, "nodenet")
		if pkg := os.Getenv("NNT_CNI_PLUGIN_PKG"); pkg != "" {
			buildErr = harness.GoBuild(pkg, out)
		} else {
			// $NODENET_BIN (make e2e / CI build the binary once) is used
			// as is. No fallback: a cmd/nodenet that does not build must
			// fail the suite, not be replaced by the stand-in.
			var bin string
			if bin, buildErr = harness.NodenetBin(out); buildErr == nil && bin != out {
				buildErr = os.Symlink(bin, out)
			}
		}
		if buildErr == nil {
			buildErr = buildFakeIPAM()
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// buildFakeIPAM puts the IPAM binary the delegated-IPAM tests exec into
// CNI_PATH.
func buildFakeIPAM() error {
	if err := harness.GoBuild("./test/cni/fakeipam", filepath.Join(binDir, "fakeipam")); err != nil {
		return fmt.Errorf("go build fakeipam: %w", err)
	}
	return nil
}

// env is one test's namespaces, data dir and network config.
type env struct {
	t       testing.TB
	id      string
	host    string // host netns name
	hostNS  netns.NsHandle
	dataDir string
	cache   string
	cni     *libcni.CNIConfig
	bridge  string
}

func newEnv(t testing.TB) *env {
	requireRoot(t)
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	e := &env{t: t, id: hex.EncodeToString(b), dataDir: t.TempDir(), cache: t.TempDir()}
	e.host = e.nsName("h")
	e.bridge = "nntbr" + e.id[:4]
	e.addNS(e.host)
	h, err := netns.GetFromName(e.host)
	if err != nil {
		t.Fatal(err)
	}
	e.hostNS = h
	t.Cleanup(func() { h.Close() })
	// An explicit exec: libcni creates its default lazily without a lock,
	// which races when the first calls are concurrent (go test -race).
	ex := &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}, PluginDecoder: version.PluginDecoder{}}
	e.cni = libcni.NewCNIConfigWithCacheDir([]string{pluginDir(t)}, e.cache, ex)
	return e
}

func (e *env) nsName(suffix string) string { return nsPrefix + e.id + "-" + suffix }

// addNS creates a netns and registers its removal, even on failure.
func (e *env) addNS(name string) {
	e.t.Helper()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		e.t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	e.t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
}

// pod creates a pod netns and returns its path (CNI_NETNS).
func (e *env) pod(name string) string {
	n := e.nsName(name)
	e.addNS(n)
	return "/var/run/netns/" + n
}

// inNS runs fn on an OS thread switched into the netns at path. The thread
// is never switched back: the goroutine exits locked and Go discards it.
func inNS(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := netns.GetFromPath(path)
		if err != nil {
			errc <- err
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

func (e *env) inHost(fn func() error) error { return inNS("/var/run/netns/"+e.host, fn) }

// confList returns the network config in the requested spec version.
func (e *env) confList(version string, mutate func(plugin map[string]any)) *libcni.NetworkConfigList {
	e.t.Helper()
	plugin := map[string]any{
		"type": "nodenet", "bridge": e.bridge, "isDefaultGateway": true, "ipMasq": true, "hairpinMode": true,
		"ipam": map[string]any{
			"type": "host-local", "dataDir": e.dataDir,
			"ranges": []any{[]any{map[string]any{"subnet": "10.199.0.0/24"}}},
			"routes": []any{map[string]any{"dst": "10.198.0.0/16"}},
		},
	}
	if mutate != nil {
		mutate(plugin)
	}
	raw, _ := json.Marshal(map[string]any{"cniVersion": version, "name": "nnt" + e.id, "plugins": []any{plugin}})
	l, err := libcni.ConfListFromBytes(raw)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

func rt(id, nsPath string) *libcni.RuntimeConf {
	return &libcni.RuntimeConf{ContainerID: id, NetNS: nsPath, IfName: "eth0"}
}

func (e *env) add(l *libcni.NetworkConfigList, r *libcni.RuntimeConf) (*current.Result, error) {
	var res types.Result
	err := e.inHost(func() (err error) {
		res, err = e.cni.AddNetworkList(context.Background(), l, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return current.NewResultFromResult(res)
}

func (e *env) mustAdd(l *libcni.NetworkConfigList, r *libcni.RuntimeConf) *current.Result {
	e.t.Helper()
	res, err := e.add(l, r)
	if err != nil {
		e.t.Fatalf("ADD %s: %v", r.ContainerID, err)
	}
	return res
}

func (e *env) del(l *libcni.NetworkConfigList, r *libcni.RuntimeConf) error {
	return e.inHost(func() error { return e.cni.DelNetworkList(context.Background(), l, r) })
}

func (e *env) check(l *libcni.NetworkConfigList, r *libcni.RuntimeConf) error {
	return e.inHost(func() error { return e.cni.CheckNetworkList(context.Background(), l, r) })
}

// ipHost runs a command inside the host netns.
func (e *env) ipHost(args ...string) string {
	e.t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", e.host}, args...)...).CombinedOutput()
	if err != nil {
		e.t.Fatalf("%v: %v: %s", args, err, out)
	}
	return string(out)
}

// allocations lists the address files in the data dir.
func (e *env) allocations() []string {
	ents, _ := os.ReadDir(filepath.Join(e.dataDir, "nnt"+e.id))
	var out []string
	for _, en := range ents {
		if !strings.HasPrefix(en.Name(), "last_") && !strings.HasPrefix(en.Name(), ".") {
			out = append(out, en.Name())
		}
	}
	return out
}

func codeOf(err error) uint {
	var te *types.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}
