package vm

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// kernelMeta is the metapackage whose one dependency is the current stock
// kernel; its ABI number changes with Debian updates, so it is looked up
// on every build, never pinned.
const kernelMeta = "linux-image-amd64"

// userPackages make the guest's userspace. Binaries come with the few
// libraries a fresh CI machine may lack (ipvsadm's libnl and popt); the
// rest of their libraries are found by ldd on the host, which runs the
// same Debian release (libraryClosure).
var userPackages = []string{
	"busybox-static", "iproute2", "iptables", "nftables", "ipset", "ipvsadm", "conntrack",
	"libnl-3-200", "libnl-genl-3-200", "libpopt0",
	"libxtables12", "libip4tc2", "libip6tc2", "libnftables1", "libipset13",
}

// Deb is one downloaded package file.
type Deb struct {
	Package string
	Path    string
}

// kernelPackage returns the concrete linux-image package kernelMeta
// depends on, e.g. linux-image-6.1.0-57-amd64, and its release string.
func kernelPackage() (pkg, release string, err error) {
	out, err := exec.Command("apt-cache", "depends", kernelMeta).Output()
	if err != nil {
		return "", "", fmt.Errorf("apt-cache depends %s: %w", kernelMeta, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "Depends:" && strings.HasPrefix(f[1], "linux-image-") {
			return f[1], strings.TrimPrefix(f[1], "linux-image-"), nil
		}
	}
	return "", "", fmt.Errorf("%s depends on no linux-image-*: %s", kernelMeta, out)
}

// debFileNames returns, per package, the file name apt-get download gives
// its candidate version (an epoch's colon is written %3a). One apt-cache
// call for all: each call costs about a second.
func debFileNames(pkgs []string) (map[string]string, error) {
	args := append([]string{"show", "--no-all-versions"}, pkgs...)
	out, err := exec.Command("apt-cache", args...).Output()
	if err != nil {
		return nil, fmt.Errorf("apt-cache show %v: %w (run apt-get update?)", pkgs, err)
	}
	names := map[string]string{}
	for _, record := range strings.Split(string(out), "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(record, "\n") {
			if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(k, " ") {
				fields[k] = v
			}
		}
		if p := fields["Package"]; p != "" && fields["Version"] != "" && fields["Architecture"] != "" {
			names[p] = fmt.Sprintf("%s_%s_%s.deb", p, strings.ReplaceAll(fields["Version"], ":", "%3a"), fields["Architecture"])
		}
	}
	for _, p := range pkgs {
		if names[p] == "" {
			return nil, fmt.Errorf("apt-cache show: no candidate version of %s", p)
		}
	}
	return names, nil
}

// fetchDebs returns the candidate .deb of each package from dir,
// downloading (in one apt-get call) only those not there yet. A new
// Debian version has a new file name, so the cache never serves stale
// packages.
func fetchDebs(dir string, pkgs []string) ([]Deb, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var debs []Deb
	var missing []string
	names, err := debFileNames(pkgs)
	if err != nil {
		return nil, err
	}
	for _, pkg := range pkgs {
		path := filepath.Join(dir, names[pkg])
		if _, err := os.Stat(path); err != nil {
			missing = append(missing, pkg)
		}
		debs = append(debs, Deb{Package: pkg, Path: path})
	}
	if len(missing) > 0 {
		cmd := exec.Command("apt-get", append([]string{"download", "-q"}, missing...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("apt-get download %v: %w: %s", missing, err, out)
		}
	}
	for _, d := range debs {
		if _, err := os.Stat(d.Path); err != nil {
			return nil, fmt.Errorf("after apt-get download: %w", err)
		}
	}
	return debs, nil
}

// extractDeb unpacks deb under dir/<file name> once (a stamp marks a
// complete unpack) and returns that directory.
func extractDeb(dir string, deb Deb) (string, error) {
	out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(deb.Path), ".deb"))
	stamp := out + ".done"
	if _, err := os.Stat(stamp); err == nil {
		return out, nil
	}
	if err := os.RemoveAll(out); err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	if b, err := exec.Command("dpkg-deb", "-x", deb.Path, out).CombinedOutput(); err != nil {
		return "", fmt.Errorf("dpkg-deb -x %s: %w: %s", deb.Path, err, b)
	}
	return out, os.WriteFile(stamp, nil, 0o644)
}
