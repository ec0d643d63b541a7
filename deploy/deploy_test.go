// Package deploy holds manifests; this test checks they decode as the
// API types they claim to be, since no cluster runs them in CI.
package deploy

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"testing"

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
	}
	for _, want := range []string{"ServiceAccount", "ClusterRoleBinding", "DaemonSet"} {
		if !kinds[want] {
			t.Errorf("no %s in the manifest (got %v)", want, kinds)
		}
	}
}
