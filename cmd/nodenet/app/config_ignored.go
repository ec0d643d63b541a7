package app

import (
	"reflect"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/klog/v2"
	kubeproxyconfig "k8s.io/kube-proxy/config/v1alpha1"
)

// ignoredFields lists, as JSON paths, the fields set (non-zero) in c that
// nodenet does not act on. It clears the honoured fields in a copy and
// reports whatever is left, so a field added to the type later is reported
// rather than dropped silently. Today that is: featureGates,
// clientConnection.{acceptContentTypes,contentType,qps,burst} (nodenet
// always uses protobuf and client-go's rate limits), bindAddressHardFail,
// enableProfiling (no profiling endpoint), showHiddenMetricsForVersion,
// iptables.localhostNodePorts (NodePorts are never served on loopback),
// ipvs.{syncPeriod,minSyncPeriod} (one sync loop for every mode, set by
// the iptables keys), nftables.*, winkernel.*,
// detectLocalMode other than ClusterCIDR, detectLocal.*, oomScoreAdj,
// conntrack.* (nodenet leaves the conntrack sysctls alone), portRange and
// windowsRunAsService.
func ignoredFields(c *kubeproxyconfig.KubeProxyConfiguration) []string {
	rest := c.DeepCopy()
	rest.TypeMeta = metav1.TypeMeta{}
	rest.ClientConnection.Kubeconfig = ""
	rest.Logging = logsapi.LoggingConfiguration{}
	rest.HostnameOverride, rest.BindAddress = "", ""
	rest.HealthzBindAddress, rest.MetricsBindAddress = "", ""
	rest.Mode, rest.ClusterCIDR, rest.NodePortAddresses = "", "", nil
	rest.IPTables.MasqueradeAll, rest.IPTables.MasqueradeBit = false, nil
	rest.IPTables.SyncPeriod, rest.IPTables.MinSyncPeriod = metav1.Duration{}, metav1.Duration{}
	rest.ConfigSyncPeriod = metav1.Duration{}
	rest.IPVS.Scheduler, rest.IPVS.StrictARP, rest.IPVS.ExcludeCIDRs = "", false, nil
	rest.IPVS.TCPTimeout, rest.IPVS.TCPFinTimeout, rest.IPVS.UDPTimeout = metav1.Duration{}, metav1.Duration{}, metav1.Duration{}
	if rest.DetectLocalMode == "ClusterCIDR" {
		rest.DetectLocalMode = ""
	}
	return setFieldPaths("", reflect.ValueOf(rest).Elem())
}

// setFieldPaths walks v's non-zero fields. It descends into the config's
// sections (types named *Configuration) and stops at values such as
// metav1.Duration, which are single fields in the file.
func setFieldPaths(prefix string, v reflect.Value) []string {
	var out []string
	for i := range v.NumField() {
		f, fv := v.Type().Field(i), v.Field(i)
		if fv.IsZero() {
			continue
		}
		path := prefix + jsonName(f)
		if f.Type.Kind() == reflect.Struct && strings.HasSuffix(f.Type.Name(), "Configuration") {
			out = append(out, setFieldPaths(path+".", fv)...)
			continue
		}
		out = append(out, path)
	}
	return out
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// logIgnoredFields logs, once, the file's fields nodenet does not act on.
func logIgnoredFields(file string, ignored []string) {
	if len(ignored) > 0 {
		klog.InfoS("Ignoring config file fields that do not apply to nodenet", "file", file, "fields", ignored)
	}
}
