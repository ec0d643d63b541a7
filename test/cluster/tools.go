//go:build tools

// Package cluster pins the control-plane programs the cluster suites build
// (see harness/build.go); the tag keeps them out of every ordinary build
// while `go mod tidy` keeps their requirements.
package cluster

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
