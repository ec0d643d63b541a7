package controlplane

import "os"

// The versions the harness builds. KubernetesVersion must match the
// k8s.io/kubernetes requirement of ../go.mod and EtcdVersion that of
// ../etcd/go.mod (TestVersionsMatchGoMod keeps them in step).
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.7.3"
)

// defaultCacheDir holds the built binaries, one folder per version, outside
// any work tree: a cold build takes ~10 minutes on two cores, a cached one
// nothing, and every checkout on the machine shares it.
const defaultCacheDir = "/var/cache/nodenet-cluster"

// CacheDir is $NODENET_CLUSTER_CACHE, or /var/cache/nodenet-cluster.
func CacheDir() string {
	if d := os.Getenv("NODENET_CLUSTER_CACHE"); d != "" {
		return d
	}
	return defaultCacheDir
}
