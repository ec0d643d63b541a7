package vm

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
)

// cpioWriter writes the "newc" cpio format the kernel unpacks as an
// initramfs. Written here rather than with cpio(1) so device nodes
// (/dev/console, /dev/null: without them /init has no output) need no
// mknod, and file order is deterministic.
type cpioWriter struct {
	w   io.Writer
	ino uint32
	off int64
}

func (c *cpioWriter) header(name string, mode uint32, size int64, rdevMajor, rdevMinor uint32) error {
	c.ino++
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, 1, 0, size, 0, 0, rdevMajor, rdevMinor, len(name)+1, 0)
	if err := c.write([]byte(hdr + name + "\x00")); err != nil {
		return err
	}
	return c.pad()
}

func (c *cpioWriter) write(b []byte) error {
	n, err := c.w.Write(b)
	c.off += int64(n)
	return err
}

// pad aligns to 4 bytes, as newc wants after names and file data.
func (c *cpioWriter) pad() error {
	if r := c.off % 4; r != 0 {
		return c.write(make([]byte, 4-r))
	}
	return nil
}

// Dir adds a directory entry.
func (c *cpioWriter) Dir(name string) error {
	return c.header(name, syscall.S_IFDIR|0o755, 0, 0, 0)
}

// File adds a regular file with content data.
func (c *cpioWriter) File(name string, perm fs.FileMode, data []byte) error {
	if err := c.header(name, syscall.S_IFREG|uint32(perm.Perm()), int64(len(data)), 0, 0); err != nil {
		return err
	}
	if err := c.write(data); err != nil {
		return err
	}
	return c.pad()
}

// Symlink adds a symbolic link to target.
func (c *cpioWriter) Symlink(name, target string) error {
	if err := c.header(name, syscall.S_IFLNK|0o777, int64(len(target)), 0, 0); err != nil {
		return err
	}
	if err := c.write([]byte(target)); err != nil {
		return err
	}
	return c.pad()
}

// CharDev adds a character device node.
func (c *cpioWriter) CharDev(name string, major, minor uint32) error {
	return c.header(name, syscall.S_IFCHR|0o666, 0, major, minor)
}

// Tree adds everything under root, named relative to it, in sorted order
// (parents before children).
func (c *cpioWriter) Tree(root string) error {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	for _, p := range paths {
		rel, _ := filepath.Rel(root, p)
		if err := c.addPath(p, rel); err != nil {
			return err
		}
	}
	return nil
}

func (c *cpioWriter) addPath(p, name string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	switch {
	case fi.IsDir():
		return c.Dir(name)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		return c.Symlink(name, target)
	case fi.Mode().IsRegular():
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return c.File(name, fi.Mode(), data)
	}
	return fmt.Errorf("cpio: %s: unsupported file type %v", p, fi.Mode())
}

// Close writes the trailer.
func (c *cpioWriter) Close() error {
	if err := c.header("TRAILER!!!", 0, 0, 0, 0); err != nil {
		return err
	}
	return nil
}
