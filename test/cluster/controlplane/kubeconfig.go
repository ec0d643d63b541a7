package controlplane

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// NodeProxyToken is the token of kube-proxy's identity (system:kube-proxy
// in group system:node-proxier).
func (cp *ControlPlane) NodeProxyToken() string { return cp.creds.NodeProxyToken }

// AdminToken is the token of a system:masters user.
func (cp *ControlPlane) AdminToken() string { return cp.creds.AdminToken }

// WriteKubeconfig writes a kubeconfig for token to dir/name and returns
// its path: what an agent on a node is started with.
func (cp *ControlPlane) WriteKubeconfig(t testing.TB, dir, name, token string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["nnt"] = &clientcmdapi.Cluster{Server: cp.URL, CertificateAuthorityData: cp.creds.caPEM}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["nnt"] = &clientcmdapi.Context{Cluster: "nnt", AuthInfo: name}
	cfg.CurrentContext = "nnt"
	path := filepath.Join(dir, name+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
