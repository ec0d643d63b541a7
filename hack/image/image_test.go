//go:build e2e

package main

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestImageRunsTheBinary builds the image of $NODENET_BIN as `make image`
// does, unpacks its filesystem as a container runtime would, and runs the
// entrypoint chrooted into it. Root: chroot.
func TestImageRunsTheBinary(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root (chroot): sudo make e2e-image")
	}
	binary := os.Getenv("NODENET_BIN")
	if binary == "" {
		t.Fatal("NODENET_BIN is not set: make build, then NODENET_BIN=$PWD/bin/nodenet")
	}
	out := filepath.Join(t.TempDir(), "nodenet-image.tar")
	if err := build(binary, "nodenet:test", out); err != nil {
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
	rootfs := t.TempDir()
	if err := unpack(mutate.Extract(img), rootfs); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(cfg.Config.Entrypoint[0], "version")
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: rootfs}
	cmd.Dir = "/"
	got, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(got), "nodenet ") {
		t.Fatalf("%s version in the image: %v: %s", Entrypoint, err, got)
	}
	t.Logf("from the image: %s", got)
}

// unpack writes the regular files and directories of a flattened image
// filesystem under dir (the image has no links or devices).
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
