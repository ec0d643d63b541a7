// Package controlplane runs a real etcd and kube-apiserver (RBAC on) for
// the cluster suites: it builds them once per version into a cache outside
// the work tree, makes credentials, starts them in the root namespace on
// the root end of a test network's veth (see Network), and stops them
// through t.Cleanup. No controller-manager or scheduler runs: tests write
// Nodes, Pods' status and EndpointSlices themselves, as those would.
package controlplane

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/nodenet/nodenet/test/netns"
)

// ServiceCIDR is the API server's --service-cluster-ip-range.
const ServiceCIDR = "10.96.0.0/16"

// Ports on the network's host address (unique per test cluster, so fixed).
const (
	apiServerPort  = 6443
	etcdClientPort = 2379
	etcdPeerPort   = 2380
)

// ControlPlane is one running etcd + kube-apiserver.
type ControlPlane struct {
	Bin   *Binaries
	Net   *Network
	URL   string // https://<host address>:6443
	Admin kubernetes.Interface
	// EtcdURL lets a test store what the API server would refuse (an
	// object valid when written, invalid under today's rules).
	EtcdURL string

	creds     *credentials
	dir       string
	apiserver *netns.Proc
}

// Start builds (or finds) the binaries, then starts etcd and the API
// server on n's host address and waits until /readyz says ok.
func Start(t testing.TB, n *Network) *ControlPlane {
	t.Helper()
	netns.RequireRoot(t)
	bin, err := EnsureBinaries()
	if err != nil {
		t.Fatalf("control plane binaries: %v", err)
	}
	dir := t.TempDir()
	creds, err := writeCredentials(dir, []net.IP{net.ParseIP(n.HostIP), net.IPv4(127, 0, 0, 1), net.IPv4(10, 96, 0, 1)})
	if err != nil {
		t.Fatalf("control plane credentials: %v", err)
	}
	cp := &ControlPlane{Bin: bin, Net: n, creds: creds, dir: dir,
		URL:     fmt.Sprintf("https://%s:%d", n.HostIP, apiServerPort),
		EtcdURL: fmt.Sprintf("http://%s:%d", n.HostIP, etcdClientPort)}
	cp.startEtcd(t)
	cp.Admin = cp.clientset(t, creds.AdminToken)
	cp.StartAPIServer(t)
	return cp
}

// startEtcd runs etcd with its data on tmpfs without fsync: a test
// cluster's state is thrown away anyway, and fsync on a busy disk is what
// slows etcd most.
func (cp *ControlPlane) startEtcd(t testing.TB) {
	t.Helper()
	data, err := os.MkdirTemp("/dev/shm", cp.Net.Prefix+"-etcd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(data) })
	host := cp.Net.HostIP
	peer := fmt.Sprintf("http://%s:%d", host, etcdPeerPort)
	p := netns.Start(t, "", "etcd", cp.Bin.Etcd, "--name", "nnt", "--data-dir", data, "--unsafe-no-fsync",
		"--listen-client-urls", cp.EtcdURL, "--advertise-client-urls", cp.EtcdURL,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "nnt="+peer,
		"--log-level", "warn")
	p.LogOnFailure(t)
	err = netns.PollUntil(30*time.Second, 100*time.Millisecond, func() error {
		if exited, err := p.Exited(); exited {
			return netns.Permanent(fmt.Errorf("etcd exited: %v", err))
		}
		resp, err := http.Get(cp.EtcdURL + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("etcd /health: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("etcd not healthy: %v", err)
	}
}

// apiServerArgs: RBAC on, static tokens, all three service-account flags
// (it exits without them), JSON storage so a test can write an object
// straight into etcd. The ServiceAccount admission plugin is off: without
// a controller-manager no namespace gets its "default" ServiceAccount,
// and it would refuse every Pod.
func (cp *ControlPlane) apiServerArgs() []string {
	c := cp.creds
	return []string{cp.Bin.APIServer,
		"--etcd-servers", cp.EtcdURL, "--storage-media-type", "application/json",
		"--bind-address", cp.Net.HostIP, "--advertise-address", cp.Net.HostIP,
		"--secure-port", fmt.Sprint(apiServerPort), "--cert-dir", filepath.Join(cp.dir, "certs"),
		"--tls-cert-file", c.certFile, "--tls-private-key-file", c.keyFile, "--client-ca-file", c.caFile,
		"--token-auth-file", c.tokenFile, "--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc", "--service-account-key-file", c.saKeyFile,
		"--service-account-signing-key-file", c.saKeyFile,
		"--service-cluster-ip-range", ServiceCIDR, "--disable-admission-plugins", "ServiceAccount",
		"--profiling=false", "-v", "0",
	}
}

// StartAPIServer starts the API server (again, after StopAPIServer) and
// waits until it is ready.
func (cp *ControlPlane) StartAPIServer(t testing.TB) {
	t.Helper()
	p := netns.Start(t, "", "kube-apiserver", cp.apiServerArgs()...)
	p.LogOnFailure(t)
	cp.apiserver = p
	// With RBAC on, /readyz is open to anyone, but poll as the admin:
	// with other authorizers anonymous requests get 401.
	err := netns.PollUntil(60*time.Second, 100*time.Millisecond, func() error {
		if exited, err := p.Exited(); exited {
			return netns.Permanent(fmt.Errorf("kube-apiserver exited: %v", err))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		body, err := cp.Admin.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(body)) != "ok" {
			return fmt.Errorf("/readyz: %s", body)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("kube-apiserver not ready: %v", err)
	}
}

// StopAPIServer stops the API server (SIGTERM, waited for); etcd keeps
// running.
func (cp *ControlPlane) StopAPIServer() { cp.apiserver.Stop() }

// RESTConfig is a client config for the given bearer token.
func (cp *ControlPlane) RESTConfig(token string) *rest.Config {
	return &rest.Config{
		Host: cp.URL, BearerToken: token,
		TLSClientConfig: rest.TLSClientConfig{CAData: cp.creds.caPEM},
		QPS:             100, Burst: 200,
	}
}

func (cp *ControlPlane) clientset(t testing.TB, token string) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(cp.RESTConfig(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
