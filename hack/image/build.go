package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Entrypoint is where the binary lives in the image; the DaemonSet gives
// only args (deploy/kubernetes/daemonset.yaml).
const Entrypoint = "/nodenet"

// build writes the image of binary to out, tagged tag, on the tree
// under rootfs (none when empty).
func build(binary, rootfs, tag, out string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("tag %q: %w", tag, err)
	}
	img, err := newImage(binary, rootfs)
	if err != nil {
		return err
	}
	// Written beside out and renamed: a reader never sees half an image.
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return os.Rename(tmp, out)
}

// newImage is the tree under rootfs (if any), then the binary, each a
// layer, for linux/amd64 (the Makefile's static build is for the build
// machine's platform, as are the Debian packages of tools-rootfs.sh).
func newImage(binary, rootfs string) (v1.Image, error) {
	var layers []v1.Layer
	if rootfs != "" {
		tools, err := dirLayer(rootfs)
		if err != nil {
			return nil, fmt.Errorf("layer of %s: %w", rootfs, err)
		}
		layers = append(layers, tools)
	}
	layer, err := binaryLayer(binary)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, append(layers, layer)...)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Entrypoint = []string{Entrypoint}
	// The backends exec iptables, nft, ipset by name (exec.LookPath).
	cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	return mutate.ConfigFile(img, cfg)
}

// binaryLayer is a tar of one file, binary at Entrypoint, with a fixed
// time so that the same binary gives the same layer digest.
func binaryLayer(binary string) (v1.Layer, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: Entrypoint[1:], Mode: 0o755, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg}
	if err := w.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	return closeLayer(w, &buf)
}
