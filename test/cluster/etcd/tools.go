//go:build tools

// Package etcd pins etcd's server (its main package) for the cluster
// harness. A module of its own: `go install ...@v3.7.3` is refused because
// etcd's go.mod has replace directives, and sharing k8s.io/kubernetes's
// module would let one raise the other's dependencies.
package etcd

import _ "go.etcd.io/etcd/server/v3"
