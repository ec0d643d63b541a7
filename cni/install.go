package cni

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
)

// Installer defaults. The bridge is not the reference "cni0" so nodenet can
// be installed next to a node that still has another CNI's bridge.
const (
	DefaultNetworkName   = "nodenet"
	DefaultInstallBridge = "nodenet0"
	DefaultConfName      = "10-nodenet.conflist"
	BinaryName           = "nodenet"
)

type installOpts struct {
	network, bridge, confName, dataDir string
	mtu                                int
	ipMasq                             bool
	nonMasq                            []string
}

// InstallOption adjusts what Install writes.
type InstallOption func(*installOpts)

// WithNetworkName sets the network (and IPAM directory) name.
func WithNetworkName(name string) InstallOption { return func(o *installOpts) { o.network = name } }

// WithBridge sets the bridge device name.
func WithBridge(name string) InstallOption { return func(o *installOpts) { o.bridge = name } }

// WithMTU sets the pod interface MTU (0: the bridge's).
func WithMTU(mtu int) InstallOption { return func(o *installOpts) { o.mtu = mtu } }

// WithIPMasq turns masquerading of pod egress on or off (default on).
func WithIPMasq(on bool) InstallOption { return func(o *installOpts) { o.ipMasq = on } }

// WithNonMasqueradeCIDRs sets the destinations pods reach without
// masquerade besides their own subnet (the cluster's pod network).
func WithNonMasqueradeCIDRs(cidrs []string) InstallOption {
	return func(o *installOpts) { o.nonMasq = cidrs }
}

// WithConfName sets the conflist file name (runtimes load the first in
// lexical order).
func WithConfName(name string) InstallOption { return func(o *installOpts) { o.confName = name } }

// WithDataDir sets the host-local allocation directory.
func WithDataDir(dir string) InstallOption { return func(o *installOpts) { o.dataDir = dir } }

// Install copies the running binary (selfPath) to binDir/nodenet and writes
// this node's conflist into confDir, ranges from podCIDRs (one range set per
// CIDR, so a v4 and a v6 CIDR give dual stack). Both files are written to a
// temp file and renamed, so a runtime never sees a half-written binary or
// config.
func Install(binDir, confDir, selfPath string, podCIDRs []string, opts ...InstallOption) error {
	o := installOpts{network: DefaultNetworkName, bridge: DefaultInstallBridge, confName: DefaultConfName, ipMasq: true}
	for _, f := range opts {
		f(&o)
	}
	conf, err := buildConflist(o, podCIDRs)
	if err != nil {
		return err
	}
	if err := installBinary(selfPath, filepath.Join(binDir, BinaryName)); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(confDir, o.confName), conf, 0o644)
}

func buildConflist(o installOpts, podCIDRs []string) ([]byte, error) {
	if len(podCIDRs) == 0 {
		return nil, fmt.Errorf("install: no pod CIDRs")
	}
	var ranges [][]map[string]string
	for _, c := range podCIDRs {
		_, ipn, err := net.ParseCIDR(c)
		if err != nil {
			return nil, fmt.Errorf("install: pod CIDR %q: %w", c, err)
		}
		ranges = append(ranges, []map[string]string{{"subnet": ipn.String()}})
	}
	ipam := map[string]any{"type": hostLocalType, "ranges": ranges}
	if o.dataDir != "" {
		ipam["dataDir"] = o.dataDir
	}
	plugin := map[string]any{
		"type": BinaryName, "bridge": o.bridge, "isGateway": true, "isDefaultGateway": true,
		"ipMasq": o.ipMasq, "hairpinMode": true, "ipam": ipam,
	}
	if o.mtu != 0 {
		plugin["mtu"] = o.mtu
	}
	if len(o.nonMasq) > 0 {
		plugin["nonMasqueradeCIDRs"] = o.nonMasq
	}
	// Validate what we are about to hand the runtime with the plugin's own
	// parser: a bad CIDR or name fails here, not at the first pod.
	single := map[string]any{"cniVersion": "1.1.0", "name": o.network}
	for k, v := range plugin {
		single[k] = v
	}
	raw, _ := json.Marshal(single)
	if _, err := parseConfig(raw); err != nil {
		return nil, fmt.Errorf("install: generated config invalid: %w", err)
	}
	// cniVersion is what runtimes built on libcni before 1.2 (containerd
	// 1.7, CRI-O 1.2x) can read results of; newer ones pick the highest of
	// cniVersions they implement (spec 1.1, for GC and STATUS).
	list := map[string]any{"cniVersion": "1.0.0", "cniVersions": []string{"1.0.0", "1.1.0"}, "name": o.network, "plugins": []any{plugin}}
	return json.MarshalIndent(list, "", "  ")
}

func installBinary(src, dst string) error {
	if si, err := os.Stat(src); err != nil {
		return fmt.Errorf("install: %w", err)
	} else if di, err := os.Stat(dst); err == nil && os.SameFile(si, di) {
		return nil // running the installed copy already
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	defer in.Close()
	return writeAtomicFrom(dst, in, 0o755)
}

func writeAtomic(dst string, data []byte, mode os.FileMode) error {
	return writeAtomicFrom(dst, bytes.NewReader(data), mode)
}

// writeAtomicFrom writes into a temp file in dst's directory (same
// filesystem, so rename is atomic), syncs it and renames it over dst.
// Renaming also avoids ETXTBSY when replacing a binary that is running.
func writeAtomicFrom(dst string, r io.Reader, mode os.FileMode) error {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, r); err != nil {
		return fmt.Errorf("install: writing %s: %w", dst, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	ok = true
	return nil
}
