//go:build e2e

package clustere2e

import (
	"context"
	"fmt"
	"net"
	"testing"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nodenet/nodenet/test/netns"
)

// The IPv6 side of the side-by-side test. The shared API server is
// single-stack IPv4 (--service-cluster-ip-range) and refuses IPv6
// Services ("not configured on this cluster") even with an IPv6
// ServiceCIDR object; so the IPv6 Service is stored straight into etcd
// (StoreRaw), with a ClusterIP from serviceCIDR6, as a dual-stack
// cluster's API server would have allocated it. Both proxies only read
// it. The underlay bridge carries IPv6 too: namespaces on it get
// underlay6<host>.
const (
	serviceCIDR6 = "fd00:10:96::/112"
	clusterIP6   = "fd00:10:96::10"
	underlay6    = "fd00:18::"
)

// joinIPv6 gives ns's underlay device dev the IPv6 address of host
// (without duplicate address detection, so it is usable at once).
func joinIPv6(t *testing.T, ns *netns.NS, dev string, host int) string {
	t.Helper()
	ip := fmt.Sprintf("%s%d", underlay6, host)
	ns.IP(t, "-6", "addr", "add", ip+"/64", "dev", dev, "nodad")
	return ip
}

// ipv6Node readies a proxy's node for IPv6 Services: its underlay
// address, forwarding, and a route for the Service range (as for IPv4).
func ipv6Node(t *testing.T, k *kubeProxyNode, host int) string {
	t.Helper()
	ip := joinIPv6(t, k.ns, "eth0", host)
	k.ns.Sysctl(t, "net.ipv6.conf.all.forwarding", "1")
	k.ns.IP(t, "-6", "route", "add", serviceCIDR6, "dev", "eth0")
	return ip
}

// ipv6ClusterIP is a single-stack IPv6 Service whose endpoints are eps6
// (the backends' IPv6 addresses).
func ipv6ClusterIP(t *testing.T, c *cluster, eps6 []endpoint) func(side) string {
	t.Helper()
	single := v1.IPFamilyPolicySingleStack
	svc := &v1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: "ipv6", Namespace: "web", UID: types.UID("0b5e7c1a-0006-4bad-8bad-000000000006"),
			CreationTimestamp: metav1.Now()},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeClusterIP, ClusterIP: clusterIP6, ClusterIPs: []string{clusterIP6},
			IPFamilies: []v1.IPFamily{v1.IPv6Protocol}, IPFamilyPolicy: &single,
			SessionAffinity: v1.ServiceAffinityNone, InternalTrafficPolicy: ptrTo(v1.ServiceInternalTrafficPolicyCluster),
			Ports: []v1.ServicePort{{Name: "echo", Protocol: v1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(echoPort)}}},
	}
	if err := c.cp.StoreRaw("services/specs", "web", svc.Name, svc); err != nil {
		t.Fatal(err)
	}
	slice := endpointSlice(svc, eps6...)
	slice.AddressType = discovery.AddressTypeIPv6
	if _, err := c.admin.DiscoveryV1().EndpointSlices("web").Create(context.Background(), slice, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return func(side) string { return net.JoinHostPort(clusterIP6, "80") }
}

func ptrTo[T any](v T) *T { return &v }
