package ipvs

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/nodeport"
	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/proxymode"
)

// ModeName is this backend's --proxy-mode value.
const ModeName = "ipvs"

// Mode is the IPVS backend as a proxymode.Mode, for the agent's registry.
// Its zero value runs with the defaults of the --ipvs-* options.
type Mode struct {
	// Flags, when set, are the --ipvs-* options, read when New is
	// called (after flag parsing); the rest of the backend's Config comes
	// from proxymode.Options.
	Flags *Flags
}

var _ proxymode.Mode = Mode{}

// Name implements proxymode.Mode.
func (Mode) Name() string { return ModeName }

// Usable implements proxymode.Mode: the kernel has IPVS (ip_vs loaded or
// loadable) and the family, and ipset and iptables-restore are installed.
func (Mode) Usable(family v1.IPFamily) error {
	if family == v1.IPv6Protocol {
		if _, err := os.Stat("/proc/net/if_inet6"); err != nil {
			return fmt.Errorf("no IPv6 in this kernel: %w", err)
		}
	}
	for _, tool := range []string{"ipset", restoreTool(family)} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not installed: %w", tool, err)
		}
	}
	if err := kernelHasIPVS(); err != nil {
		return err
	}
	k, err := NewKernel("")
	if err != nil {
		return err
	}
	if _, err := k.VirtualServers(); err != nil {
		return fmt.Errorf("the kernel has no IPVS: %w", err)
	}
	return nil
}

// ipvsProcFile exists in every network namespace once ip_vs is loaded.
const ipvsProcFile = "/proc/net/ip_vs"

// kernelHasIPVS loads ip_vs if it can and tells whether the kernel has
// it. It is asked before moby/ipvs opens a handle: on a kernel without
// IPVS that handle opens anyway, logs "Could not get ipvs family" through
// logrus and answers an empty list, so `nodenet cleanup` would go on to
// clean an IPVS mode that never ran.
func kernelHasIPVS() error {
	if _, err := os.Stat(ipvsProcFile); err == nil {
		return nil
	}
	// A failure here is told by the second Stat.
	_ = exec.Command("modprobe", "-q", "ip_vs").Run()
	if _, err := os.Stat(ipvsProcFile); err != nil {
		return fmt.Errorf("the kernel has no IPVS (ip_vs not loaded and not loadable): %w", err)
	}
	return nil
}

func restoreTool(family v1.IPFamily) string {
	if family == v1.IPv6Protocol {
		return "ip6tables-restore"
	}
	return "iptables-restore"
}

// New implements proxymode.Mode.
func (m Mode) New(opts proxymode.Options) (proxy.Backend, error) {
	var c Config
	if m.Flags != nil {
		var err error
		if c, err = m.Flags.config(); err != nil {
			return nil, err
		}
	}
	c.Family, c.ClusterCIDRs, c.MasqueradeAll, c.MasqueradeBit = opts.Family, opts.ClusterCIDRs, opts.MasqueradeAll, opts.MasqueradeBit
	lister, is4 := opts.AddrLister(), opts.Family != v1.IPv6Protocol
	c.NodeAddrs = func(primary []netip.Addr) ([]netip.Addr, error) {
		return opts.NodePorts.NodeAddrs(lister, primary, is4)
	}
	k, addrs, rules, err := openKernel(opts.Family)
	if err != nil {
		return nil, err
	}
	return NewBackend(c, k, addrs, NewSysctls(), rules)
}

func openKernel(family v1.IPFamily) (Kernel, Addrs, Rules, error) {
	k, err := NewKernel("")
	if err != nil {
		return nil, nil, nil, err
	}
	addrs, err := NewAddrs("")
	if err != nil {
		return nil, nil, nil, err
	}
	rules, err := NewRules(family == v1.IPv6Protocol)
	if err != nil {
		return nil, nil, nil, err
	}
	return k, addrs, rules, nil
}

// Cleanup implements proxymode.Mode.
func (Mode) Cleanup(family v1.IPFamily) error {
	k, addrs, rules, err := openKernel(family)
	if err != nil {
		return err
	}
	return CleanupKernel(family, k, addrs, rules, nodeport.SystemAddrs{})
}

// DumpRules implements proxymode.Mode: ipvsadm-save format.
func (Mode) DumpRules(family v1.IPFamily) (string, error) {
	k, err := NewKernel("")
	if err != nil {
		return "", err
	}
	return Save(k, family)
}
