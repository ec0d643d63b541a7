// Package deploy reads the Kubernetes manifests in kubernetes/ as the API
// objects they hold, the way `kubectl apply -k` would see them, for the
// tests that check them (deploy_test.go, cmd/nodenet/app, test/cluster).
// Nothing in the agent imports it.
package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	sigsyaml "sigs.k8s.io/yaml"
)

// Object is one document of a manifest file.
type Object struct {
	File   string // as the kustomization lists it
	Object k8sruntime.Object
}

// KubernetesDir is deploy/kubernetes in the source tree this package was
// built from, so that tests in any package or module find the same files.
func KubernetesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "kubernetes")
}

// kustomization is the part of kustomization.yaml read here: the files.
type kustomization struct {
	Resources []string `json:"resources"`
}

// Objects decodes every document of every file dir's kustomization.yaml
// lists, strictly: an unknown or misspelt field fails, as kubectl apply
// would.
func Objects(dir string) ([]Object, error) {
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	var k kustomization
	// Not strict: its other fields (namespace, images) are kustomize's.
	if err := sigsyaml.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("kustomization.yaml: %w", err)
	}
	if len(k.Resources) == 0 {
		return nil, errors.New("kustomization.yaml lists no resources")
	}
	var objs []Object
	for _, file := range k.Resources {
		decoded, err := decodeFile(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		for _, obj := range decoded {
			objs = append(objs, Object{File: file, Object: obj})
		}
	}
	return objs, nil
}

var strict = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

func decodeFile(path string) ([]k8sruntime.Object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	reader := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []k8sruntime.Object
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		if onlyComments(doc) {
			continue
		}
		obj, _, err := strict.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(objs)+1, err)
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
