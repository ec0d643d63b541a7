//go:build e2e

package clustere2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
)

// deployManifest is the DaemonSet manifest users apply.
const deployManifest = "deploy/kubernetes/nodenet.yaml"

// deployIdentity is what deploy/kubernetes/nodenet.yaml gives the agent:
// its ServiceAccount and the RBAC objects, applied to the API server.
type deployIdentity struct {
	Namespace, ServiceAccount string
	ClusterRoleBindings       []*rbacv1.ClusterRoleBinding
}

// applyDeployRBAC creates the manifest's ServiceAccount, ClusterRoles,
// ClusterRoleBindings, Roles and RoleBindings, exactly as written; skip
// names objects to leave out (a test of a missing permission). Workloads
// (the DaemonSet) are not run: the test runs the agent itself.
func applyDeployRBAC(t testing.TB, admin kubernetes.Interface, skip ...string) *deployIdentity {
	t.Helper()
	ctx := context.Background()
	id := &deployIdentity{}
	for _, obj := range decodeManifest(t, filepath.Join(repoRoot, deployManifest)) {
		m, _ := obj.(metav1.Object)
		if m != nil && slices.Contains(skip, m.GetName()) {
			continue
		}
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
			t.Fatalf("%s: unexpected object %T: teach applyDeployRBAC about it", deployManifest, obj)
		}
		if err != nil {
			t.Fatalf("applying %s from %s: %v", m.GetName(), deployManifest, err)
		}
	}
	if id.ServiceAccount == "" {
		t.Fatalf("%s has no ServiceAccount", deployManifest)
	}
	return id
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

func decodeManifest(t testing.TB, path string) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []runtime.Object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if onlyComments(doc) {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		objs = append(objs, obj)
	}
}

// onlyComments: a document of blank and comment lines holds no object.
func onlyComments(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if l := bytes.TrimSpace(line); len(l) > 0 && l[0] != '#' {
			return false
		}
	}
	return true
}
