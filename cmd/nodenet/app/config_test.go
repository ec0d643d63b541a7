package app

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/nodeport"
)

// parseAgentFlagSet parses args exactly as the agent command would; the
// flag set tells which flags were given (for --config).
func parseAgentFlagSet(t *testing.T, args ...string) (*agentOptions, *pflag.FlagSet) {
	t.Helper()
	opts := newAgentOptions()
	fs := pflag.NewFlagSet("agent", pflag.ContinueOnError)
	opts.addFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parsing %v: %v", args, err)
	}
	return opts, fs
}

// loadWithFlags parses args as the agent command does, applies --config
// and completes: the whole path from command line to agentConfig.
func loadWithFlags(t *testing.T, args ...string) (*agentConfig, *agentOptions, []string, error) {
	t.Helper()
	opts, fs := parseAgentFlagSet(t, args...)
	ignored, err := opts.applyConfigFile(fs)
	if err != nil {
		return nil, opts, nil, err
	}
	cfg, err := opts.complete(fixedHostname("node-a"))
	return cfg, opts, ignored, err
}

func mustLoad(t *testing.T, args ...string) (*agentConfig, *agentOptions, []string) {
	t.Helper()
	cfg, opts, ignored, err := loadWithFlags(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, opts, ignored
}

func checkConfig(t *testing.T, got *agentConfig, want agentConfig) {
	t.Helper()
	if !equalConfig(*got, want) {
		t.Errorf("config =\n%+v\nwant\n%+v", *got, want)
	}
}

// kubeadm writes every field, most as zero or null meaning "default".
func TestConfigFileKubeadm(t *testing.T) {
	cfg, opts, ignored := mustLoad(t, "--config=testdata/config/kubeadm.yaml")
	checkConfig(t, cfg, agentConfig{
		NodeName:         "node-a",
		Kubeconfig:       "/var/lib/kube-proxy/kubeconfig.conf",
		ClusterCIDRs:     prefixes("10.244.0.0/16"),
		MasqueradeBit:    14,
		MinSyncPeriod:    time.Second,
		AdaptivePacing:   true, // minSyncPeriod 0s: not given
		SyncPeriod:       30 * time.Second,
		ConfigSyncPeriod: 15 * time.Minute,
		HealthzBindAddr:  "0.0.0.0:10256",
		MetricsBindAddr:  "127.0.0.1:10249",
	})
	if len(ignored) != 0 {
		t.Errorf("ignored = %v, want none: kubeadm's zero values are defaults", ignored)
	}
	if opts.Logging.Verbosity != 0 || opts.Logging.Format != "text" {
		t.Errorf("logging = %+v, want verbosity 0, text", opts.Logging)
	}
}

func TestConfigFileEveryField(t *testing.T) {
	cfg, opts, ignored := mustLoad(t, "--config=testdata/config/full.yaml")
	checkConfig(t, cfg, agentConfig{
		NodeName:         "worker-7",
		Kubeconfig:       "/etc/nodenet/kubeconfig",
		ClusterCIDRs:     prefixes("10.244.0.0/16", "fd00:10:244::/56"),
		NodePorts:        nodeport.Addresses{CIDRs: prefixes("192.168.1.0/24", "10.0.0.7/32")},
		MasqueradeAll:    true,
		MasqueradeBit:    5,
		MinSyncPeriod:    2 * time.Second,
		SyncPeriod:       time.Minute,
		ConfigSyncPeriod: 5 * time.Minute,
		HealthzBindAddr:  "127.0.0.1:20256",
		MetricsBindAddr:  "[::1]:10249", // bindAddress "::" makes the default IPv6
	})
	wantIgnored := []string{"clientConnection.qps", "enableProfiling", "iptables.localhostNodePorts",
		"ipvs.syncPeriod", "conntrack.maxPerCore", "conntrack.tcpEstablishedTimeout"}
	if !slices.Equal(ignored, wantIgnored) {
		t.Errorf("ignored = %v, want %v", ignored, wantIgnored)
	}
	wantIPVS := ipvs.Flags{Scheduler: "wrr", StrictARP: true, TCPTimeout: 15 * time.Minute,
		TCPFinTimeout: 30 * time.Second, UDPTimeout: time.Minute, ExcludeCIDRs: []string{"10.200.0.0/16"}}
	if !reflect.DeepEqual(opts.IPVS, wantIPVS) || !reflect.DeepEqual(*ipvsFlags, wantIPVS) {
		t.Errorf("ipvs options = %+v (mode's %+v), want the file's %+v", opts.IPVS, *ipvsFlags, wantIPVS)
	}
	if opts.Logging.Verbosity != 3 {
		t.Errorf("verbosity = %v, want the file's 3", opts.Logging.Verbosity)
	}
}

func TestConfigFileIPv6BindAddressDefaults(t *testing.T) {
	path := writeConfig(t, "bindAddress: fd00::7\n")
	cfg, _, _ := mustLoad(t, "--config="+path)
	if cfg.HealthzBindAddr != "[::]:10256" || cfg.MetricsBindAddr != "[::1]:10249" {
		t.Errorf("healthz, metrics = %q, %q, want [::]:10256, [::1]:10249", cfg.HealthzBindAddr, cfg.MetricsBindAddr)
	}
}

// Flags given on the command line win, even when set to their default
// value (--masquerade-all=false): what counts is that they were given.
func TestConfigFileFlagsOverride(t *testing.T) {
	cfg, opts, _ := mustLoad(t, "--config=testdata/config/full.yaml",
		"--hostname-override=other",
		"--cluster-cidr=10.96.0.0/12",
		"--masquerade-all=false",
		"--iptables-masquerade-bit=14",
		"--iptables-sync-period=45s",
		"--metrics-bind-address=",
		"--ipvs-scheduler=sh",
		"--ipvs-strict-arp=false",
		"-v=6",
	)
	checkConfig(t, cfg, agentConfig{
		NodeName:         "other",
		Kubeconfig:       "/etc/nodenet/kubeconfig",
		ClusterCIDRs:     prefixes("10.96.0.0/12"),
		NodePorts:        nodeport.Addresses{CIDRs: prefixes("192.168.1.0/24", "10.0.0.7/32")},
		MasqueradeBit:    14,
		MinSyncPeriod:    2 * time.Second,
		SyncPeriod:       45 * time.Second,
		ConfigSyncPeriod: 5 * time.Minute,
		HealthzBindAddr:  "127.0.0.1:20256",
	})
	if opts.Logging.Verbosity != 6 {
		t.Errorf("verbosity = %v, want -v's 6 over the file's 3", opts.Logging.Verbosity)
	}
	if opts.IPVS.Scheduler != "sh" || opts.IPVS.StrictARP || opts.IPVS.UDPTimeout != time.Minute {
		t.Errorf("ipvs options = %+v, want the flags' scheduler sh and strictARP false over the file, the file's udpTimeout", opts.IPVS)
	}
}

// kubeadm's file names a kubeconfig; --manifests still runs offline.
func TestConfigFileWithManifests(t *testing.T) {
	dir := t.TempDir()
	cfg, _, _ := mustLoad(t, "--config=testdata/config/kubeadm.yaml", "--manifests="+dir)
	if cfg.Manifests != dir || cfg.Kubeconfig != "" || !slices.Equal(cfg.ClusterCIDRs, prefixes("10.244.0.0/16")) {
		t.Errorf("config = %+v, want manifests %s, no kubeconfig, the file's clusterCIDR", *cfg, dir)
	}
}

func TestNoConfigFileChangesNothing(t *testing.T) {
	cfg, _, ignored := mustLoad(t, "--cluster-cidr=10.1.0.0/16")
	if ignored != nil || !slices.Equal(cfg.ClusterCIDRs, prefixes("10.1.0.0/16")) || cfg.Kubeconfig != "" {
		t.Errorf("without --config: config %+v, ignored %v", *cfg, ignored)
	}
}

const header = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"

func TestConfigFileErrors(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"unknown field", header + "clusterCIDRs: 10.0.0.0/8\n", `unknown field "clusterCIDRs"`},
		{"unknown nested field", header + "iptables:\n  masqueradeAl: true\n", `unknown field "iptables.masqueradeAl"`},
		{"duplicate field", header + "mode: iptables\nmode: ipvs\n", `key "mode" already set`},
		{"wrong type", header + "iptables:\n  masqueradeBit: five\n", `iptables.masqueradeBit`},
		{"bad duration", header + "iptables:\n  syncPeriod: soon\n", `iptables.syncPeriod: time: invalid duration "soon"`},
		{"bad cluster CIDR", header + "clusterCIDR: 10.244.0.0/16,10.300.0.0/16\n", `clusterCIDR: "10.300.0.0/16" is not a CIDR`},
		{"bad nodePortAddresses", header + "nodePortAddresses: [192.168.1.0/24, eth0]\n", `nodePortAddresses: "eth0" is not a CIDR`},
		{"masquerade bit", header + "iptables:\n  masqueradeBit: 40\n", `iptables.masqueradeBit: 40 is outside [0, 31]`},
		{"negative sync", header + "iptables:\n  syncPeriod: -1s\n", `iptables.syncPeriod: -1s must not be negative`},
		{"min over sync", header + "iptables:\n  minSyncPeriod: 1m\n", `iptables.minSyncPeriod: 1m0s must not exceed iptables.syncPeriod (30s)`},
		{"negative config sync", header + "configSyncPeriod: -5m\n", `configSyncPeriod: -5m0s must not be negative`},
		{"unknown mode", header + "mode: userspace\n", `mode: unknown mode "userspace" (known: iptables`},
		{"detect local mode", header + "detectLocalMode: Bogus\n", `detectLocalMode: unknown mode "Bogus"`},
		{"bind address", header + "bindAddress: localhost\n", `bindAddress: "localhost" is not an IP`},
		{"healthz address", header + "healthzBindAddress: localhost:10256\n", `healthzBindAddress: "localhost:10256" is not an IP or IP:port`},
		{"metrics address", header + "metricsBindAddress: 127.0.0.1:99999\n", `metricsBindAddress: "127.0.0.1:99999" is not an IP or IP:port`},
		{"wrong kind", "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeletConfiguration\n", `kind: "KubeletConfiguration" is not supported (want KubeProxyConfiguration)`},
		{"wrong apiVersion", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeProxyConfiguration\n", `apiVersion: "kubelet.config.k8s.io/v1beta1" is not supported`},
		{"no apiVersion", "kind: KubeProxyConfiguration\n", `apiVersion: "" is not supported`},
		{"not YAML", "[1, 2", `not a YAML or JSON object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.yaml)
			checkConfigError(t, path, tt.wantErr)
		})
	}
}

func TestConfigFileMissing(t *testing.T) {
	checkConfigError(t, filepath.Join(t.TempDir(), "nope.yaml"), "no such file")
}

// checkConfigError wants one line naming the file and containing wantErr.
func checkConfigError(t *testing.T, path, wantErr string) {
	t.Helper()
	_, _, _, err := loadWithFlags(t, "--config="+path)
	if err == nil {
		t.Fatalf("no error, want %q", wantErr)
	}
	msg := err.Error()
	t.Log(msg)
	if !strings.Contains(msg, wantErr) || !strings.HasPrefix(msg, "--config "+path+": ") {
		t.Errorf("error = %q, want it to start with --config %s and contain %q", msg, path, wantErr)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
}

// writeConfig writes a valid header followed by body.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	return writeFile(t, header+body)
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.conf")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
