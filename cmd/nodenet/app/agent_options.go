package app

import (
	"fmt"
	"github.com/nodenet/nodenet/ipvs"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	v1 "k8s.io/api/core/v1"
	logsapi "k8s.io/component-base/logs/api/v1"

	"github.com/nodenet/nodenet/nodeport"
	"github.com/nodenet/nodenet/proxymode"
)

// agentOptions holds the agent's flags as typed. Names, defaults and
// meanings follow kube-proxy's, so a kube-proxy command line carries over.
type agentOptions struct {
	ConfigFile       string
	Kubeconfig       string
	Master           string
	HostnameOverride string
	ProxyMode        string
	// IPVS are the --ipvs-* options (and the file's ipvs section); they
	// reach the ipvs mode of the registry in complete.
	IPVS              ipvs.Flags
	ClusterCIDRs      []string
	ServiceCIDRs      []string
	NodePortAddresses []string
	MasqueradeAll     bool
	MasqueradeBit     int32
	MinSyncPeriod     time.Duration
	// MinSyncPeriodGiven: the flag or the file's iptables.minSyncPeriod
	// set it; otherwise the proxy paces its syncs adaptively (at most the
	// default second between them).
	MinSyncPeriodGiven bool
	SyncPeriod         time.Duration
	ConfigSyncPeriod   time.Duration
	HealthzBindAddr    string
	MetricsBindAddr    string
	Manifests          string
	CNIConfDir         string
	CNIBinDir          string
	Netpol             bool
	NetpolLogDrops     bool
	NetpolLogGroup     int32
	PodRoutes          bool
	DetectTampering    bool
	Logging            *logsapi.LoggingConfiguration
}

const (
	defaultHealthzPort = 10256
	defaultMetricsPort = 10249
)

func newAgentOptions() *agentOptions {
	return &agentOptions{
		ProxyMode:        proxyModes[0].Name(),
		MasqueradeBit:    14,
		MinSyncPeriod:    time.Second,
		SyncPeriod:       30 * time.Second,
		ConfigSyncPeriod: 15 * time.Minute,
		HealthzBindAddr:  net.JoinHostPort("0.0.0.0", strconv.Itoa(defaultHealthzPort)),
		MetricsBindAddr:  net.JoinHostPort("127.0.0.1", strconv.Itoa(defaultMetricsPort)),
		Netpol:           true,
		DetectTampering:  true,
		NetpolLogGroup:   defaultNetpolLogGroup,
		Logging:          logsapi.NewLoggingConfiguration(),
	}
}

func (o *agentOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.ConfigFile, "config", o.ConfigFile, "Path to a kube-proxy configuration file (KubeProxyConfiguration, kubeproxy.config.k8s.io/v1alpha1, as in kubeadm's kube-proxy ConfigMap). Flags given on the command line override it.")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to kubeconfig file with authorization information (the master location can be overridden by --master). Empty: in-cluster config.")
	fs.StringVar(&o.Master, "master", o.Master, "The address of the Kubernetes API server (overrides any value in kubeconfig).")
	fs.StringVar(&o.HostnameOverride, "hostname-override", o.HostnameOverride, "If non-empty, will be used as the name of the Node nodenet runs on. If unset, the node name is the host's hostname, lower-cased.")
	fs.StringVar(&o.ProxyMode, "proxy-mode", o.ProxyMode, "Which proxy mode to use: "+modeNames()+".")
	fs.StringSliceVar(&o.ClusterCIDRs, "cluster-cidr", o.ClusterCIDRs, "Comma-separated CIDR ranges of the pods in the cluster, at most one per IP family (dual-stack: one IPv4 and one IPv6). Traffic to a ClusterIP from outside them is masqueraded.")
	fs.StringSliceVar(&o.ServiceCIDRs, "service-cluster-ip-range", o.ServiceCIDRs, "Comma-separated CIDR ranges ClusterIPs are allocated from (the API server's flag of that name). With --proxy-mode nftables, new traffic to an address in them that is no Service's ClusterIP is dropped.")
	fs.StringSliceVar(&o.NodePortAddresses, "nodeport-addresses", o.NodePortAddresses, "Comma-separated CIDR ranges, or 'primary' (the node's primary IPs, from its Node object: its first InternalIP of each family); NodePorts are only served on local addresses inside them, each family's backend using the CIDRs of its family. Empty: all local addresses.")
	fs.BoolVar(&o.MasqueradeAll, "masquerade-all", o.MasqueradeAll, "SNAT all traffic sent via Service cluster IPs.")
	fs.Int32Var(&o.MasqueradeBit, "iptables-masquerade-bit", o.MasqueradeBit, "The bit of the fwmark space that marks packets requiring SNAT. Must be within [0, 31].")
	fs.DurationVar(&o.MinSyncPeriod, "iptables-min-sync-period", o.MinSyncPeriod, "The minimum period between iptables rule resyncs as endpoints and services change (e.g. '5s', '1m', '2h22m'). Not given (here or in --config): the pause after a sync is four times what it cost, at most this flag's default, so cheap syncs follow changes closely.")
	fs.DurationVar(&o.SyncPeriod, "iptables-sync-period", o.SyncPeriod, "The period of full iptables resyncs, also the longest delay before a change is applied (e.g. '5s', '1m', '2h22m'). Must be greater than 0.")
	fs.DurationVar(&o.ConfigSyncPeriod, "config-sync-period", o.ConfigSyncPeriod, "How often configuration from the apiserver is refreshed. Must be greater than 0.")
	fs.StringVar(&o.HealthzBindAddr, "healthz-bind-address", o.HealthzBindAddr, "The IP address (and port) for the health check server (/healthz, /livez). Empty disables it.")
	fs.StringVar(&o.MetricsBindAddr, "metrics-bind-address", o.MetricsBindAddr, "The IP address (and port) for the metrics server (/metrics, /dump). Empty disables it.")
	fs.StringVar(&o.Manifests, "manifests", o.Manifests, "Offline mode: read Services, EndpointSlices, Nodes and (with --netpol) Pods, Namespaces and NetworkPolicies from the YAML/JSON files in this directory instead of an API server.")
	fs.StringVar(&o.CNIConfDir, "cni-conf-dir", o.CNIConfDir, "Install nodenet as this node's CNI plugin: write its conflist here (e.g. /etc/cni/net.d) once the Node has pod CIDRs. Needs --cni-bin-dir. Empty: off.")
	fs.StringVar(&o.CNIBinDir, "cni-bin-dir", o.CNIBinDir, "Where to copy the nodenet binary as the CNI plugin (e.g. /opt/cni/bin). Needs --cni-conf-dir. Empty: off.")
	fs.BoolVar(&o.DetectTampering, "detect-tampering", o.DetectTampering, "Repair within about a second what someone else changes in nodenet's rules, chains and sets (nf_tables change notifications; ipsets checked every second). Off: only the periodic hook check and the hourly full sync repair.")
	o.addNetpolFlags(fs)
	o.IPVS.AddFlags(fs)
	o.addPodRoutesFlag(fs)
	logsapi.AddFlags(o.Logging, fs)
}

// agentConfig is agentOptions validated and parsed: what the agent runs with.
type agentConfig struct {
	NodeName string
	// Exactly one of Manifests and (Master, Kubeconfig) is the source.
	Manifests     string
	Master        string
	Kubeconfig    string
	Mode          proxymode.Mode // --proxy-mode, from the registry (modes.go)
	ClusterCIDRs  []netip.Prefix
	ServiceCIDRs  []netip.Prefix // --service-cluster-ip-range
	NodePorts     nodeport.Addresses
	MasqueradeAll bool
	MasqueradeBit int
	MinSyncPeriod time.Duration
	// AdaptivePacing: no min sync period was given (proxy.Config).
	AdaptivePacing   bool
	SyncPeriod       time.Duration
	ConfigSyncPeriod time.Duration
	HealthzBindAddr  string
	MetricsBindAddr  string
	CNIConfDir       string
	CNIBinDir        string
	Netpol           netpolConfig
	PodRoutes        bool
	DetectTampering  bool
}

// complete validates o and returns the config to run. hostname is
// os.Hostname outside tests. Each error is one line naming the flag.
func (o *agentOptions) complete(hostname func() (string, error)) (*agentConfig, error) {
	mode, err := lookupMode(o.ProxyMode)
	if err != nil {
		return nil, fmt.Errorf("--proxy-mode: %w", err)
	}
	*ipvsFlags = o.IPVS
	if err := o.validateSource(); err != nil {
		return nil, err
	}
	if err := o.validatePodRoutes(); err != nil {
		return nil, err
	}
	if err := o.validateSync(); err != nil {
		return nil, err
	}
	if o.MasqueradeBit < 0 || o.MasqueradeBit > 31 {
		return nil, fmt.Errorf("--iptables-masquerade-bit: %d is outside [0, 31]", o.MasqueradeBit)
	}
	nodeName, err := nodeName(o.HostnameOverride, hostname)
	if err != nil {
		return nil, err
	}
	clusterCIDRs, err := parseCIDRs("--cluster-cidr", o.ClusterCIDRs)
	if err != nil {
		return nil, err
	}
	if err := onePerFamily("--cluster-cidr", clusterCIDRs); err != nil {
		return nil, err
	}
	serviceCIDRs, err := parseCIDRs("--service-cluster-ip-range", o.ServiceCIDRs)
	if err != nil {
		return nil, err
	}
	nodePorts, err := nodeport.ParseAddresses(o.NodePortAddresses)
	if err != nil {
		return nil, fmt.Errorf("--nodeport-addresses: %w", err)
	}
	if (o.CNIConfDir == "") != (o.CNIBinDir == "") {
		return nil, fmt.Errorf("--cni-conf-dir and --cni-bin-dir go together (got %q and %q)", o.CNIConfDir, o.CNIBinDir)
	}
	healthz, err := bindAddress("--healthz-bind-address", o.HealthzBindAddr, defaultHealthzPort)
	if err != nil {
		return nil, err
	}
	metrics, err := bindAddress("--metrics-bind-address", o.MetricsBindAddr, defaultMetricsPort)
	if err != nil {
		return nil, err
	}
	netpolCfg, err := o.netpolConfig()
	if err != nil {
		return nil, err
	}
	return &agentConfig{
		NodeName:         nodeName,
		Manifests:        o.Manifests,
		Master:           o.Master,
		Kubeconfig:       o.Kubeconfig,
		ServiceCIDRs:     serviceCIDRs,
		Mode:             mode,
		ClusterCIDRs:     clusterCIDRs,
		NodePorts:        nodePorts,
		MasqueradeAll:    o.MasqueradeAll,
		MasqueradeBit:    int(o.MasqueradeBit),
		MinSyncPeriod:    o.MinSyncPeriod,
		AdaptivePacing:   !o.MinSyncPeriodGiven,
		SyncPeriod:       o.SyncPeriod,
		ConfigSyncPeriod: o.ConfigSyncPeriod,
		HealthzBindAddr:  healthz,
		MetricsBindAddr:  metrics,
		CNIConfDir:       o.CNIConfDir,
		CNIBinDir:        o.CNIBinDir,
		Netpol:           netpolCfg,
		PodRoutes:        o.PodRoutes,
		DetectTampering:  o.DetectTampering,
	}, nil
}

func (o *agentOptions) validateSource() error {
	if o.Manifests == "" {
		return nil
	}
	if o.Kubeconfig != "" || o.Master != "" {
		return fmt.Errorf("--manifests reads the cluster state from files: it cannot be combined with --kubeconfig or --master")
	}
	info, err := os.Stat(o.Manifests)
	if err != nil {
		return fmt.Errorf("--manifests: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("--manifests: %q is not a directory", o.Manifests)
	}
	return nil
}

// validateSync applies kube-proxy's rules for the sync periods.
func (o *agentOptions) validateSync() error {
	switch {
	case o.SyncPeriod <= 0:
		return fmt.Errorf("--iptables-sync-period: %v must be greater than 0", o.SyncPeriod)
	case o.MinSyncPeriod < 0:
		return fmt.Errorf("--iptables-min-sync-period: %v must not be negative", o.MinSyncPeriod)
	case o.MinSyncPeriod > o.SyncPeriod:
		return fmt.Errorf("--iptables-min-sync-period: %v must not exceed --iptables-sync-period (%v)", o.MinSyncPeriod, o.SyncPeriod)
	case o.ConfigSyncPeriod <= 0:
		return fmt.Errorf("--config-sync-period: %v must be greater than 0", o.ConfigSyncPeriod)
	}
	return nil
}

// nodeName resolves the node name as kube-proxy does: the override or the
// hostname, trimmed and lower-cased (Node names are lower-case DNS names).
func nodeName(override string, hostname func() (string, error)) (string, error) {
	name := override
	if name == "" {
		h, err := hostname()
		if err != nil {
			return "", fmt.Errorf("--hostname-override is empty and the hostname is unknown: %w", err)
		}
		name = h
	}
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return "", fmt.Errorf("--hostname-override: empty node name (set the flag or the hostname)")
	}
	return name, nil
}

// parseCIDRs parses a CIDR list flag. Host bits are cleared
// ("10.0.0.1/8" means 10.0.0.0/8), as net.ParseCIDR users expect.
func parseCIDRs(flag string, values []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a CIDR (want e.g. 10.244.0.0/16)", flag, v)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// bindAddress accepts "ip:port" or a bare "ip" (which gets defaultPort), as
// kube-proxy's flags do. Empty stays empty: the server is disabled.
func bindAddress(flag, value string, defaultPort int) (string, error) {
	if value == "" {
		return "", nil
	}
	if ip, err := netip.ParseAddr(value); err == nil {
		return netip.AddrPortFrom(ip, uint16(defaultPort)).String(), nil
	}
	ap, err := netip.ParseAddrPort(value)
	if err != nil {
		return "", fmt.Errorf("%s: %q is not an IP or IP:port (want e.g. 0.0.0.0:%d)", flag, value, defaultPort)
	}
	return ap.String(), nil
}

// familyPrefixes keeps the prefixes of family: each family's backend gets
// its own --cluster-cidr and --nodeport-addresses.
func familyPrefixes(prefixes []netip.Prefix, family v1.IPFamily) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range prefixes {
		if p.Addr().Is4() == (family == v1.IPv4Protocol) {
			out = append(out, p)
		}
	}
	return out
}

// onePerFamily applies kube-proxy's rule for --cluster-cidr: one CIDR, or
// two of different families on a dual-stack node.
func onePerFamily(flag string, prefixes []netip.Prefix) error {
	for _, fam := range []v1.IPFamily{v1.IPv4Protocol, v1.IPv6Protocol} {
		if mine := familyPrefixes(prefixes, fam); len(mine) > 1 {
			return fmt.Errorf("%s: %s and %s: at most one CIDR per IP family", flag, mine[0], mine[1])
		}
	}
	return nil
}
