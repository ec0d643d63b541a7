//go:build e2e

package clustere2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/test/cluster/controlplane"
	"github.com/nodenet/nodenet/test/netns"
)

// kubeProxyNode is a node namespace on the underlay, registered as a Node,
// where upstream kube-proxy runs (and, in the migration test, nodenet
// beside it).
type kubeProxyNode struct {
	name string // Node name and namespace name
	ns   *netns.NS
	ip   string
	kp   *netns.Proc
}

// addKubeProxyNode makes the namespace <prefix>-<suffix> at underlay host
// number host, with forwarding on, and its Node object first: kube-proxy
// waits up to 30 s for it otherwise.
func (c *cluster) addKubeProxyNode(t testing.TB, suffix string, host int) *kubeProxyNode {
	t.Helper()
	k := &kubeProxyNode{name: c.net.Prefix + "-" + suffix}
	k.ns = netns.New(t, k.name)
	k.ip = c.net.Join(t, k.ns, "eth0", host)
	k.ns.Sysctl(t, "net.ipv4.ip_forward", "1")
	// A ClusterIP needs a route to leave a process on the node at all (the
	// proxy's DNAT comes after routing); nodes usually have a default route,
	// these namespaces have none.
	k.ns.IP(t, "route", "add", controlplane.ServiceCIDR, "dev", "eth0")
	node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: k.name, Labels: map[string]string{"kubernetes.io/hostname": k.name}},
		Status: v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: k.ip}}}}
	if _, err := c.admin.CoreV1().Nodes().Create(context.Background(), node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return k
}

// startKubeProxy runs upstream kube-proxy in mode (iptables, nftables) as
// system:kube-proxy, its health and metrics servers on the underlay, and
// waits until /healthz answers 200 (it has synced once).
func (k *kubeProxyNode) startKubeProxy(t testing.TB, c *cluster, mode string, extra ...string) {
	t.Helper()
	args := append(kubeProxyArgs(t, c, k.name, mode), extra...)
	k.kp = netns.Start(t, k.ns.Name, "kube-proxy "+mode, args...)
	k.kp.LogOnFailure(t)
	netns.Eventually(t, 60*time.Second, "kube-proxy healthy", func() error {
		if exited, err := k.kp.Exited(); exited {
			return netns.Permanent(fmt.Errorf("kube-proxy exited: %v", err))
		}
		code, body, err := httpGet(fmt.Sprintf("http://%s:%d/healthz", k.ip, healthzPort))
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("/healthz %d: %s", code, body)
		}
		return err
	})
}

// kubeProxyArgs is upstream kube-proxy's command line for node name in
// mode. conntrack limits are the host's, not a namespace's to change.
func kubeProxyArgs(t testing.TB, c *cluster, name, mode string) []string {
	kubeconfig := c.cp.WriteKubeconfig(t, t.TempDir(), "kube-proxy", c.cp.NodeProxyToken())
	return []string{c.cp.Bin.KubeProxy, "--kubeconfig", kubeconfig,
		"--hostname-override", name, "--proxy-mode", mode, "--cluster-cidr", clusterCIDR,
		"--metrics-bind-address", fmt.Sprintf("0.0.0.0:%d", metricsPort),
		"--healthz-bind-address", fmt.Sprintf("0.0.0.0:%d", healthzPort),
		"--conntrack-max-per-core", "0", "--conntrack-tcp-timeout-established", "0", "--conntrack-tcp-timeout-close-wait", "0"}
}

// Ports of a nodenet agent started beside kube-proxy in the same
// namespace (kube-proxy holds healthzPort and metricsPort).
const (
	besideHealthzPort = 10266
	besideMetricsPort = 10259
)

// nodenetFullSynced is what the agent logs after a full sync of the
// proxy's rules (/healthz answers 200 before the first one, as
// kube-proxy's does), at -v 2.
const nodenetFullSynced = `"Synced rules" kind="full"`

// startNodenet runs the nodenet agent in the node's namespace beside
// kube-proxy, with the deploy manifest's identity, and waits until it is
// healthy and has put its rules in.
func (k *kubeProxyNode) startNodenet(t *testing.T, c *cluster, extra ...string) *netns.Proc {
	t.Helper()
	args := []string{nodenetBin, "agent", "--kubeconfig", c.agentKubeconfig, "--hostname-override", k.name,
		"--cluster-cidr", clusterCIDR,
		"--healthz-bind-address", fmt.Sprintf("0.0.0.0:%d", besideHealthzPort),
		"--metrics-bind-address", fmt.Sprintf("0.0.0.0:%d", besideMetricsPort), "-v", "2"}
	agent := netns.Start(t, k.ns.Name, "nodenet "+k.name, append(args, extra...)...)
	agent.LogOnFailure(t)
	netns.Eventually(t, 60*time.Second, "nodenet healthy beside kube-proxy", func() error {
		if exited, err := agent.Exited(); exited {
			return netns.Permanent(fmt.Errorf("agent exited: %v", err))
		}
		code, body, err := httpGet(fmt.Sprintf("http://%s:%d/healthz", k.ip, besideHealthzPort))
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("/healthz %d: %s", code, body)
		}
		return err
	})
	if err := agent.WaitOutput(30*time.Second, nodenetFullSynced); err != nil {
		t.Fatal(err)
	}
	return agent
}
