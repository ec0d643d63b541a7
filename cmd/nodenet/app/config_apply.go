package app

import (
	"fmt"

	"github.com/spf13/pflag"
	logsapi "k8s.io/component-base/logs/api/v1"
	kubeproxyconfig "k8s.io/kube-proxy/config/v1alpha1"
)

// fileFields maps each honoured file field onto the flag that carries the
// same setting. A flag given on the command line wins over the file.
var fileFields = []struct {
	flag string
	set  func(dst, src *agentOptions)
}{
	{"kubeconfig", func(d, s *agentOptions) { d.Kubeconfig = s.Kubeconfig }},
	{"hostname-override", func(d, s *agentOptions) { d.HostnameOverride = s.HostnameOverride }},
	{"proxy-mode", func(d, s *agentOptions) { d.ProxyMode = s.ProxyMode }},
	{"cluster-cidr", func(d, s *agentOptions) { d.ClusterCIDRs = s.ClusterCIDRs }},
	{"nodeport-addresses", func(d, s *agentOptions) { d.NodePortAddresses = s.NodePortAddresses }},
	{"masquerade-all", func(d, s *agentOptions) { d.MasqueradeAll = s.MasqueradeAll }},
	{"iptables-masquerade-bit", func(d, s *agentOptions) { d.MasqueradeBit = s.MasqueradeBit }},
	{"iptables-sync-period", func(d, s *agentOptions) { d.SyncPeriod = s.SyncPeriod }},
	{"iptables-min-sync-period", func(d, s *agentOptions) {
		d.MinSyncPeriod, d.MinSyncPeriodGiven = s.MinSyncPeriod, s.MinSyncPeriodGiven
	}},
	{"config-sync-period", func(d, s *agentOptions) { d.ConfigSyncPeriod = s.ConfigSyncPeriod }},
	{"healthz-bind-address", func(d, s *agentOptions) { d.HealthzBindAddr = s.HealthzBindAddr }},
	{"metrics-bind-address", func(d, s *agentOptions) { d.MetricsBindAddr = s.MetricsBindAddr }},
	{"ipvs-scheduler", func(d, s *agentOptions) { d.IPVS.Scheduler = s.IPVS.Scheduler }},
	{"ipvs-strict-arp", func(d, s *agentOptions) { d.IPVS.StrictARP = s.IPVS.StrictARP }},
	{"ipvs-tcp-timeout", func(d, s *agentOptions) { d.IPVS.TCPTimeout = s.IPVS.TCPTimeout }},
	{"ipvs-tcpfin-timeout", func(d, s *agentOptions) { d.IPVS.TCPFinTimeout = s.IPVS.TCPFinTimeout }},
	{"ipvs-udp-timeout", func(d, s *agentOptions) { d.IPVS.UDPTimeout = s.IPVS.UDPTimeout }},
	{"ipvs-exclude-cidrs", func(d, s *agentOptions) { d.IPVS.ExcludeCIDRs = s.IPVS.ExcludeCIDRs }},
}

// applyConfigFile loads --config, if set, into o under the flags that were
// given (fs must be the flag set o was parsed with). It returns the file's
// fields that are set but ignored, to be logged once logging is set up.
// It runs before logging is applied because the file may configure it.
// It also notes whether the min sync period was given on the command line
// (the file may give it instead), which picks the proxy's pacing.
func (o *agentOptions) applyConfigFile(fs *pflag.FlagSet) ([]string, error) {
	o.MinSyncPeriodGiven = fs.Changed("iptables-min-sync-period")
	if o.ConfigFile == "" {
		return nil, nil
	}
	ignored, err := o.mergeConfigFile(fs)
	if err != nil {
		return nil, fmt.Errorf("--config %s: %w", o.ConfigFile, err)
	}
	return ignored, nil
}

func (o *agentOptions) mergeConfigFile(fs *pflag.FlagSet) ([]string, error) {
	c, err := loadConfigFile(o.ConfigFile)
	if err != nil {
		return nil, err
	}
	file, err := fileOptions(c)
	if err != nil {
		return nil, err
	}
	for _, f := range fileFields {
		if !fs.Changed(f.flag) {
			f.set(o, file)
		}
	}
	// --manifests replaces the API server, so the file's kubeconfig (always
	// set by kubeadm) has nothing to connect and must not make it an error.
	if o.Manifests != "" && !fs.Changed("kubeconfig") {
		o.Kubeconfig = ""
	}
	logging, err := fileLogging(c, fs)
	if err != nil {
		return nil, err
	}
	o.Logging = logging
	return ignoredFields(c), nil
}

// fileLogging is the file's logging section with kube-proxy's defaults and
// the logging flags given on the command line on top, as kube-proxy's
// copyLogsFromFlags does (so "--config f -v=5" raises the verbosity).
func fileLogging(c *kubeproxyconfig.KubeProxyConfiguration, fs *pflag.FlagSet) (*logsapi.LoggingConfiguration, error) {
	merged := c.Logging.DeepCopy()
	logsapi.SetRecommendedLoggingConfiguration(merged)
	fileVModule := merged.VModule
	merged.VModule = nil // --vmodule appends; start empty so it replaces
	var mirror pflag.FlagSet
	logsapi.AddFlags(merged, &mirror)
	var err error
	mirror.VisitAll(func(f *pflag.Flag) {
		given := fs.Lookup(f.Name)
		if err != nil || given == nil || !given.Changed {
			return
		}
		if setErr := f.Value.Set(given.Value.String()); setErr != nil {
			err = fmt.Errorf("logging flag --%s: %w", f.Name, setErr)
		}
	})
	if len(merged.VModule) == 0 {
		merged.VModule = fileVModule
	}
	return merged, err
}
