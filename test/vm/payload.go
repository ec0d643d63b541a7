package vm

import (
	_ "embed"
	"io"
	"os"
	"path/filepath"
	"sort"
)

//go:embed init.sh
var initScript []byte

// Payload is what changes on every run: the binaries under test, by their
// path in the guest (e.g. nnt/tests/ipvs.test).
type Payload map[string]string

// Assemble writes the initrd for one boot into dir: the cached base image
// followed by a second cpio archive with /init and the payload (the kernel
// unpacks concatenated archives in order). It returns the file's path.
func Assemble(img *Image, dir string, payload Payload) (string, error) {
	out := filepath.Join(dir, "initrd.cpio")
	f, err := os.Create(out)
	if err != nil {
		return "", err
	}
	defer f.Close()
	base, err := os.Open(img.Initrd)
	if err != nil {
		return "", err
	}
	defer base.Close()
	n, err := io.Copy(f, base)
	if err != nil {
		return "", err
	}
	c := &cpioWriter{w: f, off: n}
	if err := c.pad(); err != nil {
		return "", err
	}
	if err := writePayload(c, payload); err != nil {
		return "", err
	}
	return out, f.Close()
}

func writePayload(c *cpioWriter, payload Payload) error {
	if err := c.File("init", 0o755, initScript); err != nil {
		return err
	}
	dirs := map[string]bool{}
	var names []string
	for guest := range payload {
		names = append(names, guest)
		for d := filepath.Dir(guest); d != "."; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	var dirList []string
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList)
	for _, d := range dirList {
		if err := c.Dir(d); err != nil {
			return err
		}
	}
	sort.Strings(names)
	for _, guest := range names {
		data, err := os.ReadFile(payload[guest])
		if err != nil {
			return err
		}
		if err := c.File(guest, 0o755, data); err != nil {
			return err
		}
	}
	return c.Close()
}
