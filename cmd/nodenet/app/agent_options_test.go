package app

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/nodeport"
)

func fixedHostname(name string) func() (string, error) {
	return func() (string, error) { return name, nil }
}

// parseAgentFlags parses args exactly as the agent command would.
func parseAgentFlags(t *testing.T, args ...string) *agentOptions {
	t.Helper()
	opts, fs := parseAgentFlagSet(t, args...)
	if _, err := opts.applyConfigFile(fs); err != nil { // notes what was given
		t.Fatal(err)
	}
	return opts
}

func TestAgentDefaults(t *testing.T) {
	cfg, err := parseAgentFlags(t).complete(fixedHostname(" Node-A.Example "))
	if err != nil {
		t.Fatal(err)
	}
	want := agentConfig{
		NodeName:         "node-a.example",
		MasqueradeBit:    14,
		MinSyncPeriod:    time.Second,
		AdaptivePacing:   true, // no min sync period given
		SyncPeriod:       30 * time.Second,
		ConfigSyncPeriod: 15 * time.Minute,
		HealthzBindAddr:  "0.0.0.0:10256",
		MetricsBindAddr:  "127.0.0.1:10249",
		Netpol:           netpolConfig{Enabled: true, LogGroup: 100},
	}
	if !equalConfig(*cfg, want) || cfg.Netpol != want.Netpol {
		t.Errorf("defaults =\n%+v\nwant\n%+v", *cfg, want)
	}
}

func TestAgentFlagsParsed(t *testing.T) {
	dir := t.TempDir()
	cfg, err := parseAgentFlags(t,
		"--hostname-override=Worker-1",
		"--cluster-cidr=10.244.0.0/16,fd00:10:244::/56",
		"--nodeport-addresses=192.168.1.7/24",
		"--masquerade-all",
		"--iptables-masquerade-bit=5",
		"--iptables-min-sync-period=0s",
		"--iptables-sync-period=1m",
		"--healthz-bind-address=127.0.0.1",
		"--metrics-bind-address=",
		"--manifests="+dir,
		"--netpol=false",
		"--netpol-log-drops",
		"--netpol-log-group=7",
		"-v=4",
	).complete(fixedHostname("ignored"))
	if err != nil {
		t.Fatal(err)
	}
	want := agentConfig{
		NodeName:         "worker-1",
		Manifests:        dir,
		ClusterCIDRs:     prefixes("10.244.0.0/16", "fd00:10:244::/56"),
		NodePorts:        nodeport.Addresses{CIDRs: prefixes("192.168.1.0/24")},
		MasqueradeAll:    true,
		MasqueradeBit:    5,
		SyncPeriod:       time.Minute,
		ConfigSyncPeriod: 15 * time.Minute,
		HealthzBindAddr:  "127.0.0.1:10256",
		Netpol:           netpolConfig{LogDrops: true, LogGroup: 7},
	}
	if !equalConfig(*cfg, want) || cfg.Netpol != want.Netpol {
		t.Errorf("config =\n%+v\nwant\n%+v", *cfg, want)
	}
	if got := familyPrefixes(cfg.ClusterCIDRs, v1.IPv4Protocol); !slices.Equal(got, prefixes("10.244.0.0/16")) {
		t.Errorf("IPv4 cluster CIDRs = %v", got)
	}
}

func TestAgentFlagValidation(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "svc.yaml")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--proxy-mode=userspace"}, `--proxy-mode: unknown mode "userspace" (known: iptables`},
		{[]string{"--cluster-cidr=10.244.0.0/16,10.300.0.0/16"}, `--cluster-cidr: "10.300.0.0/16" is not a CIDR`},
		{[]string{"--cluster-cidr=10.244.0.0"}, `--cluster-cidr: "10.244.0.0" is not a CIDR`},
		{[]string{"--nodeport-addresses=primary,10.0.0.0/8"}, `--nodeport-addresses: "primary" cannot be combined with CIDRs`},
		{[]string{"--nodeport-addresses=primay"}, `--nodeport-addresses: "primay" is not a CIDR`},
		{[]string{"--iptables-masquerade-bit=32"}, `--iptables-masquerade-bit: 32 is outside [0, 31]`},
		{[]string{"--iptables-masquerade-bit=-1"}, `--iptables-masquerade-bit: -1 is outside [0, 31]`},
		{[]string{"--iptables-sync-period=0s"}, `--iptables-sync-period: 0s must be greater than 0`},
		{[]string{"--iptables-min-sync-period=-1s"}, `--iptables-min-sync-period: -1s must not be negative`},
		{[]string{"--iptables-min-sync-period=1m"}, `--iptables-min-sync-period: 1m0s must not exceed --iptables-sync-period (30s)`},
		{[]string{"--config-sync-period=0s"}, `--config-sync-period: 0s must be greater than 0`},
		{[]string{"--healthz-bind-address=localhost:10256"}, `--healthz-bind-address: "localhost:10256" is not an IP or IP:port`},
		{[]string{"--metrics-bind-address=127.0.0.1:99999"}, `--metrics-bind-address: "127.0.0.1:99999" is not an IP or IP:port`},
		{[]string{"--manifests=" + dir, "--kubeconfig=/etc/kubeconfig"}, `cannot be combined with --kubeconfig or --master`},
		{[]string{"--manifests=" + dir, "--master=https://10.0.0.1:6443"}, `cannot be combined with --kubeconfig or --master`},
		{[]string{"--manifests=" + filepath.Join(dir, "missing")}, `--manifests: stat `},
		{[]string{"--manifests=" + file}, `is not a directory`},
		{[]string{"--hostname-override= "}, `--hostname-override: empty node name`},
		{[]string{"--cni-conf-dir=/etc/cni/net.d"}, `--cni-conf-dir and --cni-bin-dir go together`},
		{[]string{"--netpol-log-group=0"}, `--netpol-log-group: 0 is outside [1, 65535]`},
		{[]string{"--netpol-log-group=65536"}, `--netpol-log-group: 65536 is outside [1, 65535]`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parseAgentFlags(t, tt.args...).complete(fixedHostname("node-a"))
			if err == nil {
				t.Fatalf("complete() = nil error, want %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestAgentHostnameError(t *testing.T) {
	_, err := parseAgentFlags(t).complete(func() (string, error) { return "", errors.New("uts broken") })
	if err == nil || !strings.Contains(err.Error(), "uts broken") {
		t.Errorf("error = %v, want the hostname error wrapped", err)
	}
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func equalConfig(a, b agentConfig) bool {
	return slices.Equal(a.ClusterCIDRs, b.ClusterCIDRs) &&
		slices.Equal(a.NodePorts.CIDRs, b.NodePorts.CIDRs) && a.NodePorts.Primary == b.NodePorts.Primary &&
		a.modeName() == b.modeName() &&
		a.NodeName == b.NodeName && a.Manifests == b.Manifests &&
		a.Master == b.Master && a.Kubeconfig == b.Kubeconfig &&
		a.MasqueradeAll == b.MasqueradeAll && a.MasqueradeBit == b.MasqueradeBit &&
		a.MinSyncPeriod == b.MinSyncPeriod && a.AdaptivePacing == b.AdaptivePacing && a.SyncPeriod == b.SyncPeriod &&
		a.ConfigSyncPeriod == b.ConfigSyncPeriod &&
		a.HealthzBindAddr == b.HealthzBindAddr && a.MetricsBindAddr == b.MetricsBindAddr
}
