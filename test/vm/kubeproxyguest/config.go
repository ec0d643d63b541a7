// Package kubeproxyguest runs inside the test VM (test/vm) for
// test/cluster's TestCleanupKubeProxyIPVS: upstream kube-proxy in IPVS
// mode, talking to the host's API server through qemu's restricted user
// network, then `nodenet cleanup --kube-proxy`, compared with a namespace
// that never ran kube-proxy. The host builds its tests with
// `go test -c -tags vmguest` and writes Config to ConfigPath.
package kubeproxyguest

// ConfigPath is where the host puts the Config in the guest.
const ConfigPath = "/nnt/kube-proxy/config.json"

// Guest paths of what the host puts in the payload.
const (
	KubeProxyBin = "/nnt/bin/kube-proxy"
	Kubeconfig   = "/nnt/kube-proxy/kubeconfig"
)

// GuestAddr is the VM's address on qemu's user network (its default
// 10.0.2.0/24); APIServerAddr is where qemu's guestfwd takes the guest to
// the API server.
const (
	GuestAddr     = "10.0.2.15"
	APIServerAddr = "10.0.2.100:443"
)

// Config is what the host tells the guest test.
type Config struct {
	// Node is the Node object's name (--hostname-override); its
	// InternalIP is GuestAddr.
	Node string
	// VirtualServers are ipvs.ServiceKey strings ("10.96.0.10:80/TCP")
	// kube-proxy must have made before it is stopped.
	VirtualServers []string
	// NodePort is one of kube-proxy's NodePorts (TCP): another program's
	// virtual server on a foreign address gets the same port, and stays.
	NodePort int
}
