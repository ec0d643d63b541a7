//go:build e2e

package controlplane

import (
	"context"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/nodenet/nodenet/test/netns"
)

// TestControlPlane: the API server runs with RBAC on (kube-proxy's
// identity may watch EndpointSlices but not list Pods), and a namespace
// without a default route reaches it through the underlay.
func TestControlPlane(t *testing.T) {
	n := NewNetwork(t, netns.UniquePrefix("k"))
	cp := Start(t, n)
	ctx := context.Background()

	v, err := cp.Admin.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != KubernetesVersion {
		t.Errorf("API server reports %s, want %s", v.GitVersion, KubernetesVersion)
	}
	proxy, err := kubernetes.NewForConfig(cp.RESTConfig(cp.NodeProxyToken()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		group, resource string
		want            bool
	}{{"discovery.k8s.io", "endpointslices", true}, {"", "pods", false}} {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Group: c.group, Resource: c.resource}}}
		got, err := proxy.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Allowed != c.want {
			t.Errorf("kube-proxy identity may list %s: %v, want %v (is RBAC on?)", c.resource, got.Status.Allowed, c.want)
		}
	}

	node := netns.New(t, n.Prefix+"-n")
	n.Join(t, node, "eth0", 11)
	if routes := node.IP(t, "route", "show", "default"); strings.TrimSpace(routes) != "" {
		t.Fatalf("node namespace has a default route: %s", routes)
	}
	// bash's /dev/tcp: a TCP connect from inside the namespace.
	addr := strings.TrimPrefix(cp.URL, "https://")
	host, port, _ := strings.Cut(addr, ":")
	if out, err := node.Exec("timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/"+host+"/"+port); err != nil {
		t.Fatalf("the API server is not reachable from a node namespace: %v %s", err, out)
	}
}
