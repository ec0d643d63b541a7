package vm

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// recipe names the way the base image is laid out; change it whenever
// image.go, rootfs.go or the module list change what goes in, so that
// cached images of the old recipe are not reused.
const recipe = "nodenet-vm base v2"

// guestModules are loaded at boot (with their dependencies, in the order
// modprobe resolves): IPVS and its schedulers, conntrack, iptables
// (legacy and nft), nftables, ipset, veth/bridge/dummy links, and the
// e1000 network card's driver (BootConfig.Net).
var guestModules = []string{
	"libcrc32c", "crc32c_generic", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", "nf_nat",
	"sctp", "ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_lc", "ip_vs_wlc", "ip_vs_sh", "ip_vs_mh",
	"dummy", "veth", "bridge", "br_netfilter", "e1000",
	"x_tables", "ip_tables", "ip6_tables", "iptable_filter", "iptable_nat", "iptable_mangle", "iptable_raw",
	"ip6table_filter", "ip6table_nat", "ip6table_mangle", "ip6table_raw",
	"xt_MASQUERADE", "xt_nat", "xt_conntrack", "xt_comment", "xt_mark", "xt_addrtype", "xt_multiport",
	"xt_statistic", "xt_set", "xt_tcpudp", "xt_physdev", "xt_ipvs", "xt_recent", "xt_NFLOG", "xt_limit",
	"xt_sctp", "xt_LOG", "xt_connmark", "xt_pkttype", "xt_CT", "nf_conntrack_netlink",
	"ipt_REJECT", "ip6t_REJECT",
	"nf_tables", "nft_compat", "nft_ct", "nft_nat", "nft_masq", "nft_chain_nat", "nft_numgen",
	"nft_reject", "nft_reject_inet", "nft_reject_ipv4", "nft_reject_ipv6", "nft_limit", "nft_fib_inet",
	"nft_fib_ipv4", "nft_fib_ipv6", "nft_hash", "nft_log", "nfnetlink_log",
	"ip_set", "ip_set_hash_ip", "ip_set_hash_ipport", "ip_set_hash_ipportip", "ip_set_hash_ipportnet",
	"ip_set_hash_net", "ip_set_hash_netport", "ip_set_bitmap_port",
	"nf_conntrack_netlink",
}

// Image is a bootable base: the kernel and an initramfs with its modules
// and the userspace, both cached by content.
type Image struct {
	Kernel  string // vmlinuz path
	Initrd  string // base initramfs (uncompressed newc cpio)
	Release string // kernel release, e.g. 6.1.0-57-amd64
}

// BuildBase returns the cached base image for the current Debian packages,
// building it (and downloading missing packages) when not there yet.
func BuildBase(cacheDir string) (*Image, error) {
	kpkg, release, err := kernelPackage()
	if err != nil {
		return nil, err
	}
	debs, err := fetchDebs(filepath.Join(cacheDir, "debs"), append([]string{kpkg}, userPackages...))
	if err != nil {
		return nil, err
	}
	key := imageKey(debs)
	img := &Image{
		Kernel:  filepath.Join(cacheDir, "vmlinuz-"+release),
		Initrd:  filepath.Join(cacheDir, "base-"+key+".cpio"),
		Release: release,
	}
	if exists(img.Kernel) && exists(img.Initrd) {
		return img, nil
	}
	if err := buildBase(cacheDir, debs, img); err != nil {
		return nil, fmt.Errorf("building the VM base image: %w", err)
	}
	return img, nil
}

// imageKey hashes what the base image is made of: the recipe, the module
// list and the package files (their names carry their versions).
func imageKey(debs []Deb) string {
	h := sha256.New()
	fmt.Fprintln(h, recipe, strings.Join(guestModules, " "))
	for _, d := range debs {
		fmt.Fprintln(h, filepath.Base(d.Path))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func buildBase(cacheDir string, debs []Deb, img *Image) error {
	unpacked := filepath.Join(cacheDir, "unpacked")
	var trees []string
	for _, d := range debs {
		dir, err := extractDeb(unpacked, d)
		if err != nil {
			return err
		}
		trees = append(trees, dir)
	}
	kernelTree, userTrees := trees[0], trees[1:]
	root, err := os.MkdirTemp(cacheDir, "rootfs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	if err := makeRootfs(root, kernelTree, userTrees, img.Release); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(kernelTree, "boot", "vmlinuz-"+img.Release), img.Kernel+".tmp"); err != nil {
		return err
	}
	if err := os.Rename(img.Kernel+".tmp", img.Kernel); err != nil {
		return err
	}
	return writeBaseCpio(root, img.Initrd)
}

// writeBaseCpio archives root plus the device nodes the kernel needs before
// /init runs, atomically (a half-written image is never cached).
func writeBaseCpio(root, out string) error {
	f, err := os.CreateTemp(filepath.Dir(out), ".base-*.cpio")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	c := &cpioWriter{w: f}
	for _, d := range []string{"dev", "proc", "sys", "tmp", "run", "var"} {
		if err := c.Dir(d); err != nil {
			return err
		}
	}
	if err := c.CharDev("dev/console", 5, 1); err != nil {
		return err
	}
	if err := c.CharDev("dev/null", 1, 3); err != nil {
		return err
	}
	if err := c.Tree(root); err != nil {
		return err
	}
	if err := c.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), out)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func copyFile(src, dst string) error {
	out, err := exec.Command("cp", "-L", src, dst).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cp %s %s: %w: %s", src, dst, err, out)
	}
	return nil
}
