package vm

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// makeRootfs lays out the guest's root: merged /usr (bin, sbin, lib, lib64
// are links into usr/, as on Debian 12), the userspace packages, busybox
// applets for every command no package provides, the kernel modules and
// the host libraries the binaries need.
func makeRootfs(root, kernelTree string, userTrees []string, release string) error {
	for _, d := range []string{"bin", "sbin", "lib", "lib64"} {
		if err := os.MkdirAll(filepath.Join(root, "usr", d), 0o755); err != nil {
			return err
		}
		if err := os.Symlink("usr/"+d, filepath.Join(root, d)); err != nil {
			return err
		}
	}
	for _, tree := range userTrees {
		if err := copyTree(tree, root); err != nil {
			return err
		}
	}
	steps := []func() error{
		func() error { return linkBusybox(root) },
		func() error { return linkIptables(root) },
		func() error { return installModules(root, kernelTree, release) },
		func() error { return installLibraries(root) },
		func() error { return copyHostEtc(root) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// mergedPath maps a package path to merged /usr: bin/x -> usr/bin/x.
func mergedPath(rel string) string {
	first, rest, _ := strings.Cut(rel, string(filepath.Separator))
	switch first {
	case "bin", "sbin", "lib", "lib64":
		return filepath.Join("usr", first, rest)
	}
	return rel
}

// copyTree copies a package tree into root under merged /usr, leaving out
// usr/share (documentation, locales: nothing the guest runs).
func copyTree(tree, root string) error {
	return filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		if rel == "." {
			return nil
		}
		if rel == filepath.Join("usr", "share") {
			return filepath.SkipDir
		}
		dst := filepath.Join(root, mergedPath(rel))
		switch {
		case d.IsDir():
			if rel == "bin" || rel == "sbin" || rel == "lib" || rel == "lib64" {
				return nil
			}
			return os.MkdirAll(dst, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			os.Remove(dst)
			return os.Symlink(target, dst)
		default:
			return copyFile(p, dst)
		}
	})
}

// linkBusybox links every busybox applet that no package provides. The
// kernel execs /sbin/modprobe to load modules on demand (an IPVS
// scheduler, say): busybox's modprobe serves it.
func linkBusybox(root string) error {
	bb := filepath.Join(root, "usr", "bin", "busybox")
	out, err := exec.Command(bb, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("busybox --list-full: %w", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		dst := filepath.Join(root, mergedPath(applet))
		if !presentInPath(root, filepath.Base(applet)) {
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.Symlink("/usr/bin/busybox", dst); err != nil {
				return err
			}
		}
	}
	return nil
}

func presentInPath(root, name string) bool {
	for _, dir := range []string{"usr/bin", "usr/sbin"} {
		if _, err := os.Lstat(filepath.Join(root, dir, name)); err == nil {
			return true
		}
	}
	return false
}

// linkIptables does what update-alternatives does on install: the plain
// names run the nf_tables flavour, Debian's default.
func linkIptables(root string) error {
	for _, name := range []string{"iptables", "iptables-save", "iptables-restore",
		"ip6tables", "ip6tables-save", "ip6tables-restore"} {
		dst := filepath.Join(root, "usr", "sbin", name)
		if _, err := os.Lstat(dst); err == nil {
			continue
		}
		if err := os.Symlink("xtables-nft-multi", dst); err != nil {
			return err
		}
	}
	return nil
}

// installModules copies guestModules and their dependencies (softdeps
// included), in load order, and writes that order to /etc/nnt-modules.
// The .deb ships no modules.dep, hence depmod first.
func installModules(root, kernelTree, release string) error {
	modDir := filepath.Join(kernelTree, "lib", "modules", release)
	if !exists(filepath.Join(modDir, "modules.dep")) {
		if out, err := exec.Command("depmod", "-b", kernelTree, release).CombinedOutput(); err != nil {
			return fmt.Errorf("depmod: %w: %s", err, out)
		}
	}
	args := append([]string{"-d", kernelTree, "-S", release, "--show-depends", "-a"}, guestModules...)
	out, err := exec.Command("modprobe", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("modprobe --show-depends: %w: %s", err, out)
	}
	var order []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "insmod" || seen[f[1]] {
			continue
		}
		seen[f[1]] = true
		rel, err := filepath.Rel(kernelTree, f[1])
		if err != nil {
			return err
		}
		dst := filepath.Join(root, mergedPath(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := copyFile(f[1], dst); err != nil {
			return err
		}
		order = append(order, "/"+mergedPath(rel))
	}
	for _, f := range []string{"modules.order", "modules.builtin", "modules.builtin.modinfo"} {
		if src := filepath.Join(modDir, f); exists(src) {
			if err := copyFile(src, filepath.Join(root, "usr", "lib", "modules", release, f)); err != nil {
				return err
			}
		}
	}
	if out, err := exec.Command("depmod", "-b", root, release).CombinedOutput(); err != nil {
		return fmt.Errorf("depmod in the image: %w: %s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "etc", "nnt-modules"), []byte(strings.Join(order, "\n")+"\n"), 0o644)
}

// installLibraries copies from the host every shared library that the
// image's binaries and iptables' dlopen()ed extensions need and that no
// package brought (libc and friends: the host runs the same release).
func installLibraries(root string) error {
	libDir := filepath.Join(root, "usr", "lib", "x86_64-linux-gnu")
	var elves []string
	for _, pattern := range []string{"usr/bin/*", "usr/sbin/*", "usr/lib/x86_64-linux-gnu/*.so*",
		"usr/lib/x86_64-linux-gnu/xtables/*.so"} {
		m, _ := filepath.Glob(filepath.Join(root, pattern))
		elves = append(elves, m...)
	}
	want := map[string]bool{}
	for _, elf := range elves {
		if fi, err := os.Lstat(elf); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		cmd := exec.Command("ldd", elf)
		cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+libDir)
		out, _ := cmd.Output() // static binaries and scripts: not dynamic, nothing to add
		if bytes.Contains(out, []byte("not found")) {
			return fmt.Errorf("ldd %s: %s", elf, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if lib := lddPath(line); lib != "" && !strings.HasPrefix(lib, root) {
				want[lib] = true
			}
		}
	}
	for lib := range want {
		dst := filepath.Join(root, mergedPath(strings.TrimPrefix(filepath.Clean(lib), "/")))
		if exists(dst) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := copyFile(lib, dst); err != nil {
			return err
		}
	}
	return nil
}

// lddPath picks the resolved path from one line of ldd output
// ("libx.so.1 => /lib/.../libx.so.1 (0x...)" or "/lib64/ld-linux... (0x...)").
func lddPath(line string) string {
	f := strings.Fields(line)
	if len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/") {
		return f[2]
	}
	if len(f) == 2 && strings.HasPrefix(f[0], "/") {
		return f[0]
	}
	return ""
}

// copyHostEtc brings the name databases iptables and iproute2 read
// (protocol and service names), from the host's netbase.
func copyHostEtc(root string) error {
	for _, f := range []string{"protocols", "services", "ethertypes"} {
		if src := filepath.Join("/etc", f); exists(src) {
			if err := copyFile(src, filepath.Join(root, "etc", f)); err != nil {
				return err
			}
		}
	}
	return nil
}
