//go:build e2e

package firewall

import (
	"net/netip"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/test/objects"
)

// benchCluster is the generated cluster the netpol golden tests and
// BenchmarkCompute share (test/objects), on this suite's node.
func benchCluster(pods, namespaces, apps, policies int) objects.Cluster {
	return objects.Cluster{Pods: pods, Namespaces: namespaces, Apps: apps, Policies: policies, Node: thisNode, RemoteNode: "remote"}
}

// clusterInput is c as the agent reads it.
func clusterInput(c objects.Cluster) netpol.Input {
	in := netpol.Input{NodeName: c.Node, NodeIPs: []netip.Addr{objects.ClusterNodeIP}, PodCIDRs: []netip.Prefix{objects.ClusterPodCIDR}, Policies: c.PolicyObjects()}
	for _, ns := range c.NamespaceObjects() {
		in.Namespaces = append(in.Namespaces, netpol.NamespaceFromAPI(ns))
	}
	for _, p := range c.PodObjects() {
		in.Pods = append(in.Pods, netpol.PodFromAPI(p))
	}
	return in
}
