// Package objects builds the Kubernetes objects tests feed nodenet: Pods,
// Namespaces, NetworkPolicies, Services and EndpointSlices, plus Cluster,
// the generated NetworkPolicy cluster the netpol benchmarks and golden
// tests share. One set of builders for every package's tests (test
// support only; production code never imports it).
package objects
