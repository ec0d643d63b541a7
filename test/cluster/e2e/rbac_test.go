//go:build e2e

package clustere2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/nodenet/nodenet/deploy"
	"github.com/nodenet/nodenet/test/netns"
)

// deployIdentity is what deploy/kubernetes gives the agent: its
// ServiceAccount and the RBAC objects, applied to the API server.
type deployIdentity struct {
	Namespace, ServiceAccount string
	ClusterRoleBindings       []*rbacv1.ClusterRoleBinding
}

// applyDeployRBAC creates the ServiceAccount, ClusterRoles,
// ClusterRoleBindings, Roles and RoleBindings of the files
// deploy/kubernetes/kustomization.yaml lists, as written, after edit (if
// not nil) has had its say (a test of a missing permission). Workloads
// (the DaemonSet) are not run: the test runs the agent itself.
func applyDeployRBAC(t testing.TB, admin kubernetes.Interface, edit func(runtime.Object)) *deployIdentity {
	t.Helper()
	objs, err := deploy.Objects(deploy.KubernetesDir())
	if err != nil {
		t.Fatal(err)
	}
	id := &deployIdentity{}
	for _, o := range objs {
		if edit != nil {
			edit(o.Object)
		}
		if err := id.apply(admin, o.Object); err != nil {
			t.Fatalf("applying %s: %v", o.File, err)
		}
	}
	if id.ServiceAccount == "" {
		t.Fatal("deploy/kubernetes has no ServiceAccount")
	}
	return id
}

func (id *deployIdentity) apply(admin kubernetes.Interface, obj runtime.Object) error {
	ctx := context.Background()
	var err error
	switch o := obj.(type) {
	case *v1.ServiceAccount:
		id.Namespace, id.ServiceAccount = o.Namespace, o.Name
		_, err = admin.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *rbacv1.ClusterRole:
		_, err = admin.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
	case *rbacv1.ClusterRoleBinding:
		id.ClusterRoleBindings = append(id.ClusterRoleBindings, o)
		_, err = admin.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
	case *rbacv1.Role:
		_, err = admin.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *rbacv1.RoleBinding:
		_, err = admin.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *appsv1.DaemonSet, *v1.ConfigMap:
	default:
		return fmt.Errorf("unexpected object %T: teach applyDeployRBAC about it", obj)
	}
	return err
}

// token is a bound token of the manifest's ServiceAccount (what the
// kubelet mounts into the DaemonSet's pods).
func (id *deployIdentity) token(t testing.TB, admin kubernetes.Interface) string {
	t.Helper()
	expiry := int64(3600)
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}
	got, err := admin.CoreV1().ServiceAccounts(id.Namespace).CreateToken(context.Background(), id.ServiceAccount, req, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for %s/%s: %v", id.Namespace, id.ServiceAccount, err)
	}
	return got.Status.Token
}

// TestDeployRBACMissingPermission: with the manifest's roles minus the
// right to list Pods, the agent says which permission it lacks, and its
// /healthz fails: a firewall that cannot see pods enforces nothing, and
// must not look healthy (readiness probes, rollouts).
func TestDeployRBACMissingPermission(t *testing.T) {
	c := startCluster(t, clusterOptions{nodes: 1, rbac: withoutResource("pods"),
		agentArgs: []string{"--iptables-sync-period", "5s"}})
	nd := c.nodes[0]
	for _, msg := range []string{`cannot list resource \"pods\"`, `NetworkPolicies are NOT enforced`} {
		if err := nd.agent.WaitOutput(30*time.Second, msg); err != nil {
			t.Fatalf("the agent did not say %q: %v", msg, err)
		}
	}
	if !strings.Contains(nd.agent.Output(), `waitingFor=["pods"]`) {
		t.Errorf("the agent's message does not name pods as what it waits for")
	}
	netns.Eventually(t, 30*time.Second, "/healthz failing", func() error {
		code, body, err := nd.healthz("/healthz")
		if err != nil {
			return err
		}
		if code == http.StatusOK {
			return fmt.Errorf("/healthz 200: %s", body)
		}
		return nil
	})
}

// withoutResource removes resource from every rule of every ClusterRole
// and Role.
func withoutResource(resource string) func(runtime.Object) {
	return func(obj runtime.Object) {
		var rules []rbacv1.PolicyRule
		switch o := obj.(type) {
		case *rbacv1.ClusterRole:
			rules = o.Rules
		case *rbacv1.Role:
			rules = o.Rules
		}
		for i := range rules {
			rules[i].Resources = slices.DeleteFunc(rules[i].Resources, func(r string) bool { return r == resource })
		}
	}
}
