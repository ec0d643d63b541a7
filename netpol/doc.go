// Package netpol is nodenet's pure NetworkPolicy model: it turns Pods,
// Namespaces and networking.k8s.io/v1 NetworkPolicies into the effective
// ingress and egress rules of every pod running on this node, and answers
// "would this packet be allowed, and why" (Verdict).
//
// Nothing here touches the kernel, iptables or the API server: Compute is a
// function of its Input, so the firewall renderer, `nodenet trace` and the
// e2e reachability matrix all share one definition of the semantics.
package netpol
