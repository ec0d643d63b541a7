//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// The NetworkPolicy world, modelled on the upstream network-policy e2e
// suite: namespaces x, y and z with pods a, b and c each, every pod serving
// TCP and UDP on ports 80 and 81 (this kernel has no SCTP sockets; the
// model's table tests cover SCTP). Namespaces carry the label ns=<name>,
// pods pod=<name>, and every container port is also named, so policies can
// select by name.
var (
	policyNamespaces = []string{"x", "y", "z"}
	policyPodNames   = []string{"a", "b", "c"}
	policyPorts      = []int{80, 81}
	policyProtos     = []string{"tcp", "udp"}
)

// remotePod stands for a pod on another node: the outside client namespace,
// declared as pod w/remote on node nnt-node-2. Its packets reach local pods
// through the node's external interface, as another node's would.
var remotePod = podRef{NS: "w", Name: "remote"}

// podRef names a pod of the world.
type podRef struct{ NS, Name string }

func (p podRef) String() string { return p.NS + "/" + p.Name }

// policyWorld is the matrix scenario: the topology, its pods by reference,
// the manifests folder and the running agent.
type policyWorld struct {
	*scenario
	pods  []podRef // local pods in matrix order: x/a, x/b, ... z/c
	byRef map[podRef]*netns.Pod
}

// newPolicyWorld builds the nine pods, starts their servers, writes the
// Node, Namespace and Pod manifests and starts the agent with extra flags.
func newPolicyWorld(t *testing.T, agentFlags ...string) *policyWorld {
	t.Helper()
	netns.RequireRoot(t)
	base := t.TempDir()
	s := &scenario{t: t, dir: filepath.Join(base, "manifests"), stage: base}
	if err := os.Mkdir(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	w := &policyWorld{scenario: s, byRef: map[podRef]*netns.Pod{}}
	var names []string
	for _, ns := range policyNamespaces {
		for _, name := range policyPodNames {
			ref := podRef{NS: ns, Name: name}
			w.pods = append(w.pods, ref)
			names = append(names, ns+"-"+name)
		}
	}
	s.topo = netns.NewProxyTopology(t, "np", names...)
	for i, ref := range w.pods {
		w.byRef[ref] = s.topo.Pods[i]
		w.startServers(t, s.topo.Pods[i])
	}
	w.writeWorldManifests()
	s.startAgent(append([]string{"--iptables-min-sync-period", "100ms"}, agentFlags...)...)
	return w
}

func (w *policyWorld) startServers(t *testing.T, pod *netns.Pod) {
	t.Helper()
	var addrs []string
	for _, port := range policyPorts {
		addrs = append(addrs, fmt.Sprintf(":%d", port))
	}
	list := strings.Join(addrs, ",")
	proc := netns.Start(t, pod.Name, "echo "+pod.PodName, netns.EchoBin, "serve",
		"-name", pod.PodName, "-tcp", list, "-udp", list)
	if err := proc.WaitOutput(10*time.Second, "ready"); err != nil {
		t.Fatal(err)
	}
	proc.LogOnFailure(t)
}

func (w *policyWorld) writeWorldManifests() {
	w.write("node.yaml", policyNodeYAML())
	for _, ns := range append(policyNamespaces, remotePod.NS) {
		w.write("ns-"+ns+".yaml", namespaceYAML(ns))
	}
	for _, ref := range w.pods {
		pod := w.byRef[ref]
		w.write(podFile(ref), podYAML(ref, nodeName, pod.IP, pod.IP6))
	}
	w.write(podFile(remotePod), podYAML(remotePod, "nnt-node-2", netns.ClientIP, netns.ClientIP6))
}

func podFile(ref podRef) string { return "pod-" + ref.NS + "-" + ref.Name + ".yaml" }

// policyNodeYAML is the Node with its pod ranges: the firewall gates
// unknown addresses inside them.
func policyNodeYAML() string {
	return fmt.Sprintf(`apiVersion: v1
kind: Node
metadata:
  name: %s
spec:
  podCIDR: %s
  podCIDRs: [%s, %s]
status:
  addresses:
  - type: InternalIP
    address: %s
  - type: InternalIP
    address: %s
`, nodeName, netns.PodCIDR, netns.PodCIDR, netns.PodCIDR6, netns.NodeExtIP, netns.NodeExtIP6)
}

// namespaceYAML quotes the names: YAML 1.1, which the manifest decoder
// follows, reads a bare y as true.
func namespaceYAML(name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %q\n  labels:\n    ns: %q\n", name, name)
}

// podYAML declares a running pod with the world's labels and named ports
// ("serve-80-tcp", ...).
func podYAML(ref podRef, node, ip, ip6 string) string {
	var ports strings.Builder
	for _, port := range policyPorts {
		for _, proto := range policyProtos {
			fmt.Fprintf(&ports, "    - name: serve-%d-%s\n      containerPort: %d\n      protocol: %s\n",
				port, proto, port, strings.ToUpper(proto))
		}
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %q
  namespace: %q
  labels:
    pod: %q
spec:
  nodeName: %s
  containers:
  - name: serve
    image: nnt-echo
    ports:
%sstatus:
  phase: Running
  podIP: %s
  podIPs:
  - ip: %s
  - ip: %s
`, ref.Name, ref.NS, ref.Name, node, ports.String(), ip, ip, ip6)
}

// netns returns the network namespace name of a world pod (the remote pod
// is the client namespace).
func (w *policyWorld) netnsOf(ref podRef) string {
	if ref == remotePod {
		return w.topo.Client.Name
	}
	return w.byRef[ref].Name
}

// addrOf returns ref's address of one family.
func (w *policyWorld) addrOf(ref podRef, v6 bool) string {
	if ref == remotePod {
		if v6 {
			return netns.ClientIP6
		}
		return netns.ClientIP
	}
	if v6 {
		return w.byRef[ref].IP6
	}
	return w.byRef[ref].IP
}
