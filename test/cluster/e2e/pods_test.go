//go:build e2e

package clustere2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	current "github.com/containernetworking/cni/pkg/types/100"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/test/netns"
)

// echoPort is where every pod's nnt-echo answers TCP and UDP.
const echoPort = 8080

// addPod plays kubelet and container runtime for one pod on nd: a pod
// namespace, an ADD through the conflist the agent installed (libcni, as
// containerd calls it), nnt-echo serving in it, and the Pod object with
// its node, labels and IP, Running and Ready.
func (nd *node) addPod(t *testing.T, namespace, name string, labels map[string]string) *netns.Pod {
	t.Helper()
	nd.pods++
	pod := &netns.Pod{NS: netns.New(t, fmt.Sprintf("%s-p%d", nd.name, nd.pods)), PodName: name}
	res := nd.cniAdd(t, pod.NS.Name)
	if len(res.IPs) == 0 {
		t.Fatalf("CNI ADD for %s gave no address: %+v", name, res)
	}
	pod.IP = res.IPs[0].Address.IP.String()
	pod.StartEcho(t, echoPort, 0)
	nd.clusterT.registerPod(t, namespace, name, nd.name, pod.IP, labels)
	return pod
}

// cniAdd runs the ADD of the node's installed conflist for the pod
// namespace podNS, with the plugin exec'd inside the node's namespace.
func (nd *node) cniAdd(t *testing.T, podNS string) *current.Result {
	t.Helper()
	list := nd.conflist(t)
	cni := libcni.NewCNIConfigWithCacheDir([]string{nd.binDir}, nd.ipamDir+"/cache", nil)
	rt := &libcni.RuntimeConf{ContainerID: podNS, NetNS: "/run/netns/" + podNS, IfName: "eth0"}
	var result *current.Result
	err := netns.Within(nd.ns.Name, func() error {
		r, err := cni.AddNetworkList(context.Background(), list, rt)
		if err != nil {
			return err
		}
		result, err = current.NewResultFromResult(r)
		return err
	})
	if err != nil {
		t.Fatalf("CNI ADD on %s: %v", nd.name, err)
	}
	return result
}

// conflist waits for the agent to install the node's conflist and reads
// it as a runtime does. One change: the IPAM data dir. The nodes of this
// test share the machine's /var/lib/cni, which real nodes never do.
func (nd *node) conflist(t *testing.T) *libcni.NetworkConfigList {
	t.Helper()
	var list *libcni.NetworkConfigList
	netns.Eventually(t, 30*time.Second, nd.name+"'s conflist", func() error {
		files, err := libcni.ConfFiles(nd.confDir, []string{".conflist"})
		if err != nil || len(files) != 1 {
			return fmt.Errorf("conflists %v (%v), want one", files, err)
		}
		list, err = libcni.ConfListFromFile(files[0])
		return err
	})
	var raw map[string]any
	if err := json.Unmarshal(list.Bytes, &raw); err != nil {
		t.Fatal(err)
	}
	plugin := raw["plugins"].([]any)[0].(map[string]any)
	plugin["ipam"].(map[string]any)["dataDir"] = nd.ipamDir
	data, _ := json.Marshal(raw)
	list, err := libcni.ConfListFromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// registerPod creates the Pod object and sets its status as the kubelet
// would once the sandbox has its IP.
func (c *cluster) registerPod(t *testing.T, namespace, name, nodeName, ip string, labels map[string]string) {
	t.Helper()
	ctx := context.Background()
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
		Spec: v1.PodSpec{NodeName: nodeName, Containers: []v1.Container{{
			Name: "echo", Image: "nnt-echo",
			Ports: []v1.ContainerPort{{Name: "echo", ContainerPort: echoPort, Protocol: v1.ProtocolTCP}},
		}}},
	}
	created, err := c.admin.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating Pod %s/%s: %v", namespace, name, err)
	}
	now := metav1.Now()
	created.Status = v1.PodStatus{
		Phase: v1.PodRunning, PodIP: ip, PodIPs: []v1.PodIP{{IP: ip}}, HostIP: c.nodeIP(nodeName), StartTime: &now,
		Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue, LastTransitionTime: now}},
	}
	if _, err := c.admin.CoreV1().Pods(namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("setting the status of Pod %s/%s: %v", namespace, name, err)
	}
}

func (c *cluster) nodeIP(name string) string {
	for _, nd := range c.nodes {
		if nd.name == name {
			return nd.ip
		}
	}
	return ""
}
