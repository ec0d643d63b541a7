package netpol

import (
	"net/netip"

	"github.com/nodenet/nodenet/test/objects"
)

// genCluster is the shared generated cluster (test/objects) on this
// package's nodes.
func genCluster(pods, namespaces, apps, policies int) objects.Cluster {
	return objects.Cluster{Pods: pods, Namespaces: namespaces, Apps: apps, Policies: policies, Node: thisNode, RemoteNode: remoteNode}
}

// genInput is c read as the agent reads objects (PodFromAPI,
// NamespaceFromAPI).
func genInput(c objects.Cluster) Input {
	in := Input{NodeName: c.Node, NodeIPs: []netip.Addr{objects.ClusterNodeIP}, PodCIDRs: []netip.Prefix{objects.ClusterPodCIDR}, Policies: c.PolicyObjects()}
	for _, ns := range c.NamespaceObjects() {
		in.Namespaces = append(in.Namespaces, NamespaceFromAPI(ns))
	}
	for _, p := range c.PodObjects() {
		in.Pods = append(in.Pods, PodFromAPI(p))
	}
	return in
}
