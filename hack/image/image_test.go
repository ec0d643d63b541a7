//go:build e2e

package main

import (
	"archive/tar"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestImageRunsTheBinary builds the image of $NODENET_BIN as `make image`
// does, unpacks its filesystem as a container runtime would, and runs the
// entrypoint chrooted into it: `nodenet version`, then, in a fresh network
// namespace, `nodenet cleanup` removing a NODENET- chain made with the
// image's own iptables. Root: chroot, namespaces.
func TestImageRunsTheBinary(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root (chroot): sudo make e2e-image")
	}
	binary := os.Getenv("NODENET_BIN")
	if binary == "" {
		t.Fatal("NODENET_BIN is not set: make build, then NODENET_BIN=$PWD/bin/nodenet")
	}
	rootfs, err := exec.Command("./tools-rootfs.sh", os.Getenv("NODENET_IMAGE_CACHE")).Output()
	if err != nil {
		t.Fatalf("tools-rootfs.sh: %v", err)
	}
	out := filepath.Join(t.TempDir(), "nodenet-image.tar")
	if err := build(binary, strings.TrimSpace(string(rootfs)), "nodenet:test", out); err != nil {
		t.Fatal(err)
	}

	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Config.Entrypoint, []string{Entrypoint}) || cfg.OS != "linux" {
		t.Errorf("config: entrypoint %q, OS %q; want [%s], linux", cfg.Config.Entrypoint, cfg.OS, Entrypoint)
	}
	c := &container{root: t.TempDir(), env: cfg.Config.Env}
	if err := unpack(mutate.Extract(img), c.root); err != nil {
		t.Fatal(err)
	}

	ns := newNetns(t)
	got, err := c.run(ns, Entrypoint, "version")
	if err != nil || !strings.HasPrefix(got, "nodenet ") {
		t.Fatalf("%s version in the image: %v: %s", Entrypoint, err, got)
	}
	t.Logf("from the image: %s", got)
	if out, err := c.run(ns, "iptables", "-t", "nat", "-N", "NODENET-SERVICES"); err != nil {
		t.Fatalf("the image's iptables: %v: %s", err, out)
	}
	cleaned, err := c.run(ns, Entrypoint, "cleanup")
	if err != nil {
		t.Fatalf("%s cleanup in the image: %v: %s", Entrypoint, err, cleaned)
	}
	t.Logf("%s cleanup: %s", Entrypoint, cleaned)
	saved, err := c.run(ns, "iptables-save", "-t", "nat")
	if err != nil || !strings.Contains(saved, "*nat") || strings.Contains(saved, "NODENET-") {
		t.Errorf("after cleanup, the image's iptables-save (%v):\n%s\nwant the nat table without NODENET- chains", err, saved)
	}
}

// container is an unpacked image: its programs run chrooted into root,
// with the image's environment (its PATH finds the tools).
type container struct {
	root string
	env  []string
}

// run runs name in the container, in network namespace ns, as a container
// runtime would: /proc, /dev and /sys mounted (iptables opens /dev/null,
// nodenet reads /proc/net), then chroot. The mounts are made in the mount
// namespace ip netns exec creates (a slave of the host's), so they vanish
// with the command.
func (c *container) run(ns, name string, args ...string) (string, error) {
	const script = `for d in proc dev sys; do mkdir -p "$0/$d"; done
mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && mount --rbind /sys "$0/sys" && exec chroot "$0" "$@"`
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, "sh", "-c", script, c.root, name}, args...)...)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// newNetns makes a namespace named nnt-img-<random> (the nnt- prefix of
// every test's objects), deleted when the test ends.
func newNetns(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	ns := "nnt-img-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", ns).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", ns, err, out)
		}
	})
	return ns
}

// unpack writes the directories, regular files and symlinks of a
// flattened image filesystem under dir (the image has no devices).
func unpack(r io.ReadCloser, dir string) error {
	defer r.Close()
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.Clean("/"+hdr.Name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, os.FileMode(hdr.Mode))
		case tar.TypeReg:
			err = writeFile(path, tr, os.FileMode(hdr.Mode))
		case tar.TypeSymlink:
			err = os.Symlink(hdr.Linkname, path)
		default:
			err = errors.New(hdr.Name + ": unexpected entry type " + string(hdr.Typeflag))
		}
		if err != nil {
			return err
		}
	}
}

func writeFile(path string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
