//go:build e2e

package clustere2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/nodenet/nodenet/test/cluster/controlplane"
	"github.com/nodenet/nodenet/test/netns"
)

// clusterCIDR is the pod network; node i gets 10.244.i.0/24.
const clusterCIDR = "10.244.0.0/16"

// Ports of the agents, inside each node's namespace.
const (
	healthzPort = 10256
	metricsPort = 10249
)

// cluster is a control plane, an underlay, nodes running nodenet and an
// outside client on the underlay:
//
//	root ns: etcd, kube-apiserver on <net>.1 ──veth── underlay bridge
//	                                                  ├── node a <net>.11, pods 10.244.1.0/24 on its CNI bridge
//	                                                  ├── node b <net>.12, pods 10.244.2.0/24
//	                                                  └── client <net>.100
type cluster struct {
	cp     *controlplane.ControlPlane
	net    *controlplane.Network
	admin  kubernetes.Interface
	nodes  []*node
	client *netns.NS
	// clientIP is the outside client's address on the underlay.
	clientIP string
	// agentKubeconfig holds the deploy manifest's identity, for agents a
	// test starts itself.
	agentKubeconfig string
}

// node is one node namespace: its Node object, its agent and its CNI
// folders (the agent installs the plugin and conflist there).
type node struct {
	name     string // Node name, also --hostname-override
	ns       *netns.NS
	ip       string // InternalIP on the underlay
	podCIDR  string
	confDir  string
	binDir   string
	ipamDir  string
	agent    *netns.Proc
	pods     int
	clusterT *cluster
}

// newCluster starts a control plane and n nodes (n <= 9), each with its
// Node object and a running agent with the deploy manifest's identity,
// and waits until every agent is healthy.
func newCluster(t testing.TB, n int) *cluster {
	t.Helper()
	c := startCluster(t, clusterOptions{nodes: n})
	for _, nd := range c.nodes {
		nd.waitHealthy(t)
	}
	return c
}

type clusterOptions struct {
	nodes int
	// rbac, if set, edits each RBAC object of the deploy manifest before
	// it is applied (a test of a missing permission).
	rbac func(runtime.Object)
	// agentArgs are added to every agent's flags.
	agentArgs []string
}

// startCluster is newCluster without waiting for the agents.
func startCluster(t testing.TB, o clusterOptions) *cluster {
	t.Helper()
	netns.RequireRoot(t)
	prefix := netns.UniquePrefix("k")
	c := &cluster{net: controlplane.NewNetwork(t, prefix)}
	c.cp = controlplane.Start(t, c.net)
	c.admin = c.cp.Admin
	id := applyDeployRBAC(t, c.admin, o.rbac)
	kubeconfig := c.cp.WriteKubeconfig(t, t.TempDir(), "nodenet", id.token(t, c.admin))
	c.agentKubeconfig = kubeconfig
	for i := 1; i <= o.nodes; i++ {
		nd := c.addNode(t, fmt.Sprintf("%s-%c", prefix, 'a'+i-1), i)
		nd.startAgent(t, kubeconfig, o.agentArgs...)
	}
	c.client = netns.New(t, prefix+"-client")
	c.clientIP = c.net.Join(t, c.client, "eth0", 100)
	return c
}

// addNode makes the node's namespace on the underlay and registers its
// Node object (as a kubelet would, with its pod CIDR as the
// node-ipam-controller would set it).
func (c *cluster) addNode(t testing.TB, name string, i int) *node {
	t.Helper()
	nd := &node{name: name, podCIDR: fmt.Sprintf("10.244.%d.0/24", i), clusterT: c,
		confDir: t.TempDir(), binDir: t.TempDir(), ipamDir: t.TempDir()}
	nd.ns = netns.New(t, name)
	nd.ip = c.net.Join(t, nd.ns, "eth0", 10+i)
	nd.ns.Sysctl(t, "net.ipv4.ip_forward", "1")
	obj := &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Spec:       v1.NodeSpec{PodCIDR: nd.podCIDR, PodCIDRs: []string{nd.podCIDR}},
		Status: v1.NodeStatus{Addresses: []v1.NodeAddress{
			{Type: v1.NodeInternalIP, Address: nd.ip}, {Type: v1.NodeHostName, Address: name}}},
	}
	if _, err := c.admin.CoreV1().Nodes().Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Node %s: %v", name, err)
	}
	c.nodes = append(c.nodes, nd)
	return nd
}

// startAgent runs `nodenet agent` in the node's namespace as the
// DaemonSet would: its kubeconfig, its node name, the CNI installer, the
// firewall (on by default) and routes to the other nodes' pods.
func (nd *node) startAgent(t testing.TB, kubeconfig string, extra ...string) {
	t.Helper()
	args := []string{nodenetBin, "agent", "--kubeconfig", kubeconfig, "--hostname-override", nd.name,
		"--cluster-cidr", clusterCIDR, "--cni-conf-dir", nd.confDir, "--cni-bin-dir", nd.binDir, "--pod-routes",
		"--healthz-bind-address", fmt.Sprintf("0.0.0.0:%d", healthzPort),
		"--metrics-bind-address", fmt.Sprintf("0.0.0.0:%d", metricsPort)}
	nd.agent = netns.Start(t, nd.ns.Name, "nodenet "+nd.name, append(args, extra...)...)
	nd.agent.LogOnFailure(t)
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := nd.ns.Exec("iptables-save")
			routes, _ := nd.ns.Exec("ip", "route")
			t.Logf("---- %s: iptables-save ----\n%s---- routes ----\n%s", nd.name, out, routes)
		}
	})
}

// healthz GETs path on the agent's health server from the root namespace
// (which reaches the underlay through the API server's veth).
func (nd *node) healthz(path string) (int, string, error) {
	return httpGet(fmt.Sprintf("http://%s:%d%s", nd.ip, healthzPort, path))
}

func (nd *node) waitHealthy(t testing.TB) {
	t.Helper()
	netns.Eventually(t, 60*time.Second, nd.name+" agent healthy", func() error {
		if exited, err := nd.agent.Exited(); exited {
			return netns.Permanent(fmt.Errorf("agent exited: %v", err))
		}
		code, body, err := nd.healthz("/healthz")
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("/healthz %d: %s", code, body)
		}
		return nil
	})
}

func httpGet(url string) (int, string, error) {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(body), err
}

// ensureNamespace creates an API namespace for a test's objects.
func (c *cluster) ensureNamespace(t testing.TB, name string, labels map[string]string) {
	t.Helper()
	ns := &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := c.admin.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}
