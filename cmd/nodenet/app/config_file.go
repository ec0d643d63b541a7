package app

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeproxyconfig "k8s.io/kube-proxy/config/v1alpha1"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/nodeport"
)

// fileOptions converts the honoured fields of c into option values. Each
// value is checked here, so an error names the file's field (not the flag
// it lands in). A field left out or zero gets kube-proxy's default, as
// kube-proxy's defaulting does: kubeadm writes "syncPeriod: 0s" and
// "masqueradeBit: null" meaning "the default".
func fileOptions(c *kubeproxyconfig.KubeProxyConfiguration) (*agentOptions, error) {
	o := newAgentOptions()
	o.Kubeconfig = c.ClientConnection.Kubeconfig
	o.HostnameOverride = c.HostnameOverride
	steps := []func(*kubeproxyconfig.KubeProxyConfiguration, *agentOptions) error{
		fileMode, fileCIDRs, fileIPTables, fileIPVS, fileConfigSync, fileBindAddresses,
	}
	for _, step := range steps {
		if err := step(c, o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// fileMode: "" is the platform default (iptables on Linux), as in kube-proxy.
func fileMode(c *kubeproxyconfig.KubeProxyConfiguration, o *agentOptions) error {
	if err := checkProxyMode("mode", string(c.Mode)); err != nil {
		return err
	}
	if err := checkDetectLocalMode(c.DetectLocalMode); err != nil {
		return err
	}
	if c.Mode != "" {
		o.ProxyMode = string(c.Mode)
	}
	return nil
}

// checkDetectLocalMode accepts kube-proxy's modes. Only ClusterCIDR (the
// default) is what nodenet does; the others are reported as ignored.
func checkDetectLocalMode(mode kubeproxyconfig.LocalMode) error {
	switch mode {
	case "", "ClusterCIDR", "NodeCIDR", "BridgeInterface", "InterfaceNamePrefix":
		return nil
	}
	return fmt.Errorf("detectLocalMode: unknown mode %q (want ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix)", mode)
}

// fileCIDRs: clusterCIDR is one comma-separated string (dual-stack), while
// nodePortAddresses is a list.
func fileCIDRs(c *kubeproxyconfig.KubeProxyConfiguration, o *agentOptions) error {
	if c.ClusterCIDR != "" {
		o.ClusterCIDRs = strings.Split(c.ClusterCIDR, ",")
	}
	if _, err := parseCIDRs("clusterCIDR", o.ClusterCIDRs); err != nil {
		return err
	}
	o.NodePortAddresses = c.NodePortAddresses
	if _, err := nodeport.ParseAddresses(o.NodePortAddresses); err != nil {
		return fmt.Errorf("nodePortAddresses: %w", err)
	}
	return nil
}

func fileIPTables(c *kubeproxyconfig.KubeProxyConfiguration, o *agentOptions) error {
	ipt := c.IPTables
	o.MasqueradeAll = ipt.MasqueradeAll
	if ipt.MasqueradeBit != nil {
		if b := *ipt.MasqueradeBit; b < 0 || b > 31 {
			return fmt.Errorf("iptables.masqueradeBit: %d is outside [0, 31]", b)
		}
		o.MasqueradeBit = *ipt.MasqueradeBit
	}
	if err := fileDuration("iptables.syncPeriod", ipt.SyncPeriod, &o.SyncPeriod); err != nil {
		return err
	}
	if err := fileDuration("iptables.minSyncPeriod", ipt.MinSyncPeriod, &o.MinSyncPeriod); err != nil {
		return err
	}
	o.MinSyncPeriodGiven = ipt.MinSyncPeriod.Duration > 0
	if o.MinSyncPeriod > o.SyncPeriod {
		return fmt.Errorf("iptables.minSyncPeriod: %v must not exceed iptables.syncPeriod (%v)", o.MinSyncPeriod, o.SyncPeriod)
	}
	return nil
}

func fileConfigSync(c *kubeproxyconfig.KubeProxyConfiguration, o *agentOptions) error {
	return fileDuration("configSyncPeriod", c.ConfigSyncPeriod, &o.ConfigSyncPeriod)
}

// fileDuration sets *dst unless d is zero (kube-proxy's "use the default").
func fileDuration(field string, d metav1.Duration, dst *time.Duration) error {
	switch {
	case d.Duration < 0:
		return fmt.Errorf("%s: %v must not be negative", field, d.Duration)
	case d.Duration > 0:
		*dst = d.Duration
	}
	return nil
}

// fileBindAddresses derives the servers' default addresses from bindAddress
// as kube-proxy does: an IPv4 (or empty) bindAddress gives 0.0.0.0 and
// 127.0.0.1, an IPv6 one [::] and [::1]. An empty healthz or metrics address
// in the file means that default, not "disabled" as the empty flag does.
func fileBindAddresses(c *kubeproxyconfig.KubeProxyConfiguration, o *agentOptions) error {
	healthzHost, metricsHost := "0.0.0.0", "127.0.0.1"
	if c.BindAddress != "" {
		ip, err := netip.ParseAddr(c.BindAddress)
		if err != nil {
			return fmt.Errorf("bindAddress: %q is not an IP", c.BindAddress)
		}
		if !ip.Unmap().Is4() {
			healthzHost, metricsHost = "::", "::1"
		}
	}
	var err error
	o.HealthzBindAddr, err = fileBindAddress("healthzBindAddress", c.HealthzBindAddress, healthzHost, defaultHealthzPort)
	if err != nil {
		return err
	}
	o.MetricsBindAddr, err = fileBindAddress("metricsBindAddress", c.MetricsBindAddress, metricsHost, defaultMetricsPort)
	return err
}

func fileBindAddress(field, value, defaultHost string, port int) (string, error) {
	if value == "" {
		value = defaultHost
	}
	return bindAddress(field, value, port)
}

// fileIPVS: the ipvs section's keys that have an --ipvs-* flag (its
// syncPeriod and minSyncPeriod are not used: one sync loop serves every
// mode, set by the iptables keys, and are reported as ignored).
func fileIPVS(c *kubeproxyconfig.KubeProxyConfiguration, o *agentOptions) error {
	in := c.IPVS
	o.IPVS = ipvs.Flags{Scheduler: in.Scheduler, StrictARP: in.StrictARP, ExcludeCIDRs: in.ExcludeCIDRs,
		TCPTimeout: in.TCPTimeout.Duration, TCPFinTimeout: in.TCPFinTimeout.Duration, UDPTimeout: in.UDPTimeout.Duration}
	for _, s := range in.ExcludeCIDRs {
		if _, err := netip.ParsePrefix(s); err != nil {
			return fmt.Errorf("ipvs.excludeCIDRs: %w", err)
		}
	}
	return nil
}
