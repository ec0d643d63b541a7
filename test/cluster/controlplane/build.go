package controlplane

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// Binaries are the control-plane programs the suites run.
type Binaries struct {
	APIServer, KubeProxy, Kubectl, Etcd string
}

// kubernetesPrograms are built together: one `go build` shares the
// compilation of their common packages (together ~9 min cold, kube-proxy
// alone 5.5 min).
var kubernetesPrograms = []string{"kube-apiserver", "kube-proxy", "kubectl"}

// EnsureBinaries returns the cached binaries, building those missing. A
// file lock serializes concurrent test binaries, so a cold machine builds
// once; the build goes to a temporary folder renamed into place, so a
// killed build leaves nothing that looks complete.
func EnsureBinaries() (*Binaries, error) {
	cache := CacheDir()
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, fmt.Errorf("cluster binaries cache: %w", err)
	}
	unlock, err := lock(filepath.Join(cache, ".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	kubeDir := filepath.Join(cache, "kubernetes-"+KubernetesVersion)
	etcdDir := filepath.Join(cache, "etcd-"+EtcdVersion)
	b := &Binaries{
		APIServer: filepath.Join(kubeDir, "kube-apiserver"),
		KubeProxy: filepath.Join(kubeDir, "kube-proxy"),
		Kubectl:   filepath.Join(kubeDir, "kubectl"),
		Etcd:      filepath.Join(etcdDir, "etcd"),
	}
	mod, err := moduleDir()
	if err != nil {
		return nil, err
	}
	if !exists(b.APIServer, b.KubeProxy, b.Kubectl) {
		pkgs := make([]string, len(kubernetesPrograms))
		for i, p := range kubernetesPrograms {
			pkgs[i] = "k8s.io/kubernetes/cmd/" + p
		}
		if err := buildInto(kubeDir, mod, kubernetesLDFlags(), "", pkgs...); err != nil {
			return nil, err
		}
	}
	if !exists(b.Etcd) {
		// etcd's main package is its server module's root package.
		if err := buildInto(etcdDir, filepath.Join(mod, "etcd"), "-s -w", "etcd", "go.etcd.io/etcd/server/v3"); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// kubernetesLDFlags stamps the version the binaries report (else
// v0.0.0-master) and strips them (the apiserver: 171 MB -> 120 MB).
func kubernetesLDFlags() string {
	major, minor, _ := strings.Cut(strings.TrimPrefix(KubernetesVersion, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	flags := []string{"-s", "-w"}
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		flags = append(flags, "-X", pkg+".gitVersion="+KubernetesVersion, "-X", pkg+".gitMajor="+major,
			"-X", pkg+".gitMinor="+minor, "-X", pkg+".gitTreeState=clean")
	}
	return strings.Join(flags, " ")
}

// buildInto builds pkgs in module folder mod into a fresh folder renamed
// to dir once every binary is there; name, if set, names the binary of a
// single package.
func buildInto(dir, mod, ldflags, name string, pkgs ...string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		return err
	}
	fmt.Fprintf(os.Stderr, "controlplane: building %s into %s (a cold build takes ~10 minutes; cached afterwards)\n",
		strings.Join(pkgs, " "), dir)
	out := tmp + "/" // a folder: one binary per package, named by it
	if name != "" {
		out = filepath.Join(tmp, name)
	}
	args := append([]string{"build", "-trimpath", "-ldflags", ldflags, "-o", out}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", strings.Join(pkgs, " "), err)
	}
	_ = os.RemoveAll(dir) // an incomplete folder from an older layout
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("caching %s: %w", dir, err)
	}
	return nil
}

// moduleDir is the folder of this Go module (test/cluster), whose go.mod
// pins k8s.io/kubernetes; `go test` runs in one of its package folders.
func moduleDir() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if filepath.Base(filepath.Dir(mod)) != "cluster" {
		return "", fmt.Errorf("go env GOMOD is %q, want test/cluster/go.mod: run from inside test/cluster", mod)
	}
	return filepath.Dir(mod), nil
}

func exists(paths ...string) bool {
	for _, p := range paths {
		if info, err := os.Stat(p); err != nil || info.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// lock takes an exclusive flock on path, waiting for another holder.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cluster binaries lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cluster binaries lock: %w", err)
	}
	return func() { f.Close() }, nil
}
