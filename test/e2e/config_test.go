//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nodenet/nodenet/test/netns"
)

// kubeadmStyleConfig is a kube-proxy config.conf as kubeadm writes it (the
// zero values mean "default"), with masqueradeAll and masqueradeBit set so
// their effect shows on the wire and in the rules. Its kubeconfig points
// nowhere: startAgent's --manifests must win over it.
const kubeadmStyleConfig = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
bindAddress: 0.0.0.0
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
clusterCIDR: 10.244.0.0/16
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
healthzBindAddress: ""
iptables:
  masqueradeAll: true
  masqueradeBit: 9
  minSyncPeriod: 0s
  syncPeriod: 0s
metricsBindAddress: ""
mode: ""
nodePortAddresses: null
`

func writeAgentConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.conf")
	if err := os.WriteFile(path, []byte(kubeadmStyleConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigFile: the file's masqueradeAll masquerades pod traffic to a
// ClusterIP, and its masqueradeBit 9 is the mark (0x200) in the rules.
func TestConfigFile(t *testing.T) {
	s := webScenario(t, "--config", writeAgentConfig(t))
	for _, proto := range protos {
		ans := s.mustAnswer(s.pod("pod-c"), proto, webIP+":80", 5)
		assertSource(t, proto+" pod-c -> ClusterIP", ans, netns.NodePodIP)
	}
	rules := s.proxyRules("IPv4")
	if !strings.Contains(rules, masqMarkText(9)) {
		t.Errorf("no rule uses the masquerade mark %s (bit 9):\n%s", masqMarkText(9), rules)
	}
}

// TestConfigFileFlagOverride: --masquerade-all=false on the command line
// wins over the file's masqueradeAll: true.
func TestConfigFileFlagOverride(t *testing.T) {
	s := webScenario(t, "--config", writeAgentConfig(t), "--masquerade-all=false")
	podC := s.topo.Pod(t, "pod-c")
	for _, proto := range protos {
		ans := s.mustAnswer(podC.Name, proto, webIP+":80", 5)
		assertSource(t, proto+" pod-c -> ClusterIP", ans, podC.IP)
	}
}
