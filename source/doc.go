// Package source feeds Kubernetes objects to the proxier's handlers
// (Handlers) from one of two places:
//
//   - RunInformers watches a cluster through client-go shared informers, as
//     kube-proxy does, over Client: REST clients for just the API groups
//     nodenet uses, not client-go's full clientset (see client.go).
//   - RunManifests reads a folder of YAML/JSON manifests and keeps watching
//     it, so the agent can run without an API server.
//
// Both sources deliver each kind through the same per-kind table (kinds.go),
// so adding a kind is one table entry shared by both.
package source
