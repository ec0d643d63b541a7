// Package deploy holds manifests; this test checks they decode as the
// API types they claim to be, since no cluster runs them in CI.
package deploy

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

func TestKubernetesManifestsDecode(t *testing.T) {
	data, err := os.ReadFile("kubernetes/nodenet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Strict: an unknown or misspelt field fails, as kubectl apply would.
	strict := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	reader := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	kinds := map[string]bool{}
	var roles []*rbacv1.ClusterRole
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		obj, gvk, err := strict.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("document %s does not decode: %v", doc, err)
		}
		if obj == nil {
			t.Fatal("empty document")
		}
		kinds[gvk.Kind] = true
		if role, ok := obj.(*rbacv1.ClusterRole); ok {
			roles = append(roles, role)
		}
	}
	checkFirewallRBAC(t, roles)
	for _, want := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet"} {
		if !kinds[want] {
			t.Errorf("no %s in the manifest (got %v)", want, kinds)
		}
	}
}

// checkFirewallRBAC: the firewall is on by default and its informers never
// sync without list and watch on what it reads; system:node-proxier does
// not grant those.
func checkFirewallRBAC(t *testing.T, roles []*rbacv1.ClusterRole) {
	t.Helper()
	for _, need := range []struct{ group, resource string }{
		{"", "pods"}, {"", "namespaces"}, {"networking.k8s.io", "networkpolicies"},
	} {
		if !granted(roles, need.group, need.resource, "list") || !granted(roles, need.group, need.resource, "watch") {
			t.Errorf("no ClusterRole in the manifest grants list and watch on %q %s", need.group, need.resource)
		}
	}
}

func granted(roles []*rbacv1.ClusterRole, group, resource, verb string) bool {
	for _, role := range roles {
		for _, rule := range role.Rules {
			if slices.Contains(rule.APIGroups, group) && slices.Contains(rule.Resources, resource) && slices.Contains(rule.Verbs, verb) {
				return true
			}
		}
	}
	return false
}
