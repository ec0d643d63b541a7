//go:build e2e

package clustere2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/nodenet/nodenet/test/netns"
	"github.com/nodenet/nodenet/test/vm"
	"github.com/nodenet/nodenet/test/vm/kubeproxyguest"
)

// TestCleanupKubeProxyIPVS proves `nodenet cleanup --kube-proxy` on what
// upstream kube-proxy's IPVS mode leaves, on a kernel with IPVS: the host
// starts the API server with Services of several shapes, and the test VM
// (test/vm, Debian's kernel) runs kube-proxy v1.37.2 --proxy-mode ipvs
// against it, reaching it only through qemu's restricted user network
// (a guestfwd to the API server's address; the serving certificate's
// name is set in the guest's kubeconfig). The guest half is
// test/vm/kubeproxyguest's TestKubeProxyIPVSCleanup.
func TestCleanupKubeProxyIPVS(t *testing.T) {
	c := newCluster(t, 0)
	createCleanupServices(t, c)
	c.createService(t, "web", "udp", func(s *v1.Service) {
		s.Spec.Type = v1.ServiceTypeNodePort
		s.Spec.Ports[0].Protocol = v1.ProtocolUDP
	})
	nodeName := c.net.Prefix + "-vm"
	node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName, Labels: map[string]string{"kubernetes.io/hostname": nodeName}},
		Status: v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: kubeproxyguest.GuestAddr}}}}
	if _, err := c.admin.CoreV1().Nodes().Create(context.Background(), node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := kubeproxyguest.Config{Node: nodeName}
	cfg.VirtualServers, cfg.NodePort = expectedVirtualServers(t, c)

	dir := t.TempDir()
	payload := vm.Payload{"nnt/bin/kube-proxy": c.cp.Bin.KubeProxy, "nnt/bin/nodenet": nodenetBin}
	payload["nnt/kube-proxy/kubeconfig"] = guestKubeconfig(t, c, dir)
	payload["nnt/kube-proxy/config.json"] = writeJSON(t, dir, cfg)
	test := filepath.Join(dir, "kubeproxyguest.test")
	if err := vm.GoTestBuild("./test/vm/kubeproxyguest", "vmguest", test); err != nil {
		t.Fatal(err)
	}
	payload["nnt/tests/kubeproxyguest.test"] = test
	payload["nnt/suites"] = writeFile(t, dir, "suites", "kubeproxy|kubeproxyguest.test||\n")
	img, err := vm.BuildBase(vm.CacheDir())
	if err != nil {
		t.Fatal(err)
	}
	initrd, err := vm.Assemble(img, dir, payload)
	if err != nil {
		t.Fatal(err)
	}
	api, err := url.Parse(c.cp.URL)
	if err != nil {
		t.Fatal(err)
	}
	// restrict=on: the guest reaches the host only through guestfwd, and
	// nothing it sends is routed off the machine. "cmd:" (a pipe per guest
	// connection), not "tcp:": a tcp chardev is one connection made when
	// qemu starts, which the API server closes after ~30 s without a TLS
	// handshake (a slow boot), and which cannot carry a second guest
	// connection.
	network := []string{"-netdev", "user,id=n0,restrict=on,guestfwd=tcp:" + kubeproxyguest.APIServerAddr +
		"-cmd:" + netns.EchoBin + " pipe -addr " + api.Host, "-device", "e1000,netdev=n0"}
	start := time.Now()
	lines, code, err := vm.Boot(context.Background(), vm.BootConfig{Image: img, Initrd: initrd, Net: network,
		Timeout: 15 * time.Minute, OnLine: func(l string) { fmt.Fprintln(os.Stderr, "vm| "+l) }})
	t.Logf("VM ran for %v, qemu exit code %d", time.Since(start).Round(time.Millisecond), code)
	if err != nil {
		t.Error(err)
	}
	reportGuest(t, lines)
}

// expectedVirtualServers are virtual servers kube-proxy makes for the
// Services: every ClusterIP and load-balancer IP, and the NodePorts on the
// guest's address; and a TCP NodePort of kube-proxy's.
func expectedVirtualServers(t *testing.T, c *cluster) (keys []string, tcpNodePort int) {
	t.Helper()
	svcs, err := c.admin.CoreV1().Services("web").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs.Items {
		for _, p := range s.Spec.Ports {
			keys = append(keys, fmt.Sprintf("%s:%d/%s", s.Spec.ClusterIP, p.Port, p.Protocol))
			for _, ing := range s.Status.LoadBalancer.Ingress {
				keys = append(keys, fmt.Sprintf("%s:%d/%s", ing.IP, p.Port, p.Protocol))
			}
			if p.NodePort != 0 {
				keys = append(keys, fmt.Sprintf("%s:%d/%s", kubeproxyguest.GuestAddr, p.NodePort, p.Protocol))
				if p.Protocol == v1.ProtocolTCP {
					tcpNodePort = int(p.NodePort)
				}
			}
		}
	}
	return keys, tcpNodePort
}

// guestKubeconfig is kube-proxy's kubeconfig for the guest: the API
// server at the guestfwd address, its certificate checked against the
// host address it was issued for.
func guestKubeconfig(t *testing.T, c *cluster, dir string) string {
	t.Helper()
	path := c.cp.WriteKubeconfig(t, dir, "kube-proxy", c.cp.NodeProxyToken())
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	api, err := url.Parse(c.cp.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range cfg.Clusters {
		cl.Server = "https://" + kubeproxyguest.APIServerAddr
		cl.TLSServerName = api.Hostname()
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeJSON(t *testing.T, dir string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, "config.json", string(b))
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// reportGuest fails the test with each guest test that did not pass, and
// when the guest suite never ended.
func reportGuest(t *testing.T, lines []string) {
	suites, done := vm.ParseConsole(lines)
	if !done || len(suites) != 1 || !suites[0].Ended {
		t.Fatalf("the guest did not finish its suite; console tail:\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
	s := suites[0]
	if len(s.Tests) == 0 {
		t.Fatalf("the guest ran no test:\n%s", strings.Join(s.Output, "\n"))
	}
	for _, tr := range s.Tests {
		if tr.Status != "PASS" {
			t.Errorf("guest %s: %s\n%s", tr.Name, tr.Status, strings.Join(tr.Output, "\n"))
		}
	}
}
