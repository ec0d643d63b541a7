package main

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// epoch is every file's time in the image: the same inputs give the same
// layer digests.
var epoch = time.Unix(0, 0)

// dirLayer is the tree under dir (tools-rootfs.sh's) as a layer: directories,
// regular files and symlinks (xtables-nft-multi is one binary under many
// names), in lexical order.
func dirLayer(dir string) (v1.Layer, error) {
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		return addEntry(w, dir, path, d)
	})
	if err != nil {
		return nil, err
	}
	return closeLayer(w, &buf)
}

func addEntry(w *tar.Writer, dir, path string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	var link string
	if d.Type()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(path); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return err
	}
	hdr.Name, hdr.ModTime = filepath.ToSlash(rel), epoch
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "root", "root"
	if d.IsDir() {
		hdr.Name += "/"
	}
	if err := w.WriteHeader(hdr); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// closeLayer finishes the tar in buf and serves it as a layer.
func closeLayer(w *tar.Writer, buf *bytes.Buffer) (v1.Layer, error) {
	if err := w.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}
