package firewall

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/klog/v2"
)

// Sysctl writes /proc/sys entries.
type Sysctl interface {
	// Set writes value to key (a path under /proc/sys, e.g.
	// "net/bridge/bridge-nf-call-iptables"); a missing key is an error
	// that wraps fs.ErrNotExist.
	Set(key, value string) error
}

// ProcSysctl writes the sysctls of the calling thread's network namespace.
type ProcSysctl struct{}

// Set implements Sysctl.
func (ProcSysctl) Set(key, value string) error {
	return os.WriteFile(filepath.Join("/proc/sys", key), []byte(value), 0o644)
}

// bridgeSysctls make bridged (same-node pod to pod) traffic go through
// iptables FORWARD; without them only routed traffic is filtered.
var bridgeSysctls = []string{"net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables"}

// enableBridgeNetfilter turns the bridge sysctls on. It cannot fail the
// sync (routed traffic is still filtered), so it warns, once per
// firewall, when br_netfilter is missing.
func (f *Firewall) enableBridgeNetfilter() {
	if f.kernels.Sysctl == nil {
		return
	}
	for _, key := range bridgeSysctls {
		err := f.kernels.Sysctl.Set(key, "1")
		if err == nil || f.warnedSysctl {
			continue
		}
		f.warnedSysctl = true
		if errors.Is(err, fs.ErrNotExist) {
			klog.InfoS("Warning: br_netfilter is not loaded (no /proc/sys/net/bridge): NetworkPolicy is not enforced between pods on the same bridge; run modprobe br_netfilter")
		} else {
			klog.InfoS("Warning: cannot enable br_netfilter: NetworkPolicy may not be enforced between pods on the same bridge", "sysctl", key, "err", err)
		}
	}
}
