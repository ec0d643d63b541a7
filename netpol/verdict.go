package netpol

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
)

// Verdict says whether this node lets a connection from -> to on port and
// protocol through, and why, naming the policies that decided.
//
// A connection passes two gates: the egress of the source and the ingress of
// the destination. This node only enforces the gates of its own pods, so
// when one end is a remote pod only the local end's gate is checked (the
// remote node enforces the other), and when neither end is local the answer
// is "allowed: not filtered here". Traffic between a local pod and this
// node's IPs, and from a pod to itself (which never leaves the pod), is
// always allowed. An unresolvable endpoint yields false with the reason.
func (m *Model) Verdict(from, to Endpoint, port int32, protocol Protocol) (allowed bool, reasons []string) {
	src, dst, err := m.resolvePair(from, to)
	if err != nil {
		return false, []string{err.Error()}
	}
	srcPod, dstPod := m.localByIP[src], m.localByIP[dst]
	switch {
	case srcPod != nil && srcPod == dstPod:
		return true, []string{fmt.Sprintf("%s to itself: loopback never reaches the node", srcPod.Pod)}
	case srcPod == nil && dstPod == nil:
		return true, []string{fmt.Sprintf("neither %s nor %s is a pod on node %s: not filtered here", from, to, m.NodeName)}
	}
	allowed = true
	if srcPod != nil {
		ok, why := m.decide(srcPod, Egress, dst, port, protocol)
		allowed, reasons = allowed && ok, append(reasons, why...)
	}
	if dstPod != nil {
		ok, why := m.decide(dstPod, Ingress, src, port, protocol)
		allowed, reasons = allowed && ok, append(reasons, why...)
	}
	return allowed, reasons
}

// decide applies one gate: direction d of the local pod, against the
// remote end's address.
func (m *Model) decide(pod *PodRules, d Direction, remote netip.Addr, port int32, protocol Protocol) (bool, []string) {
	gate := fmt.Sprintf("%s of %s", d, pod.Pod)
	if slices.Contains(m.NodeIPs, remote) {
		return true, []string{fmt.Sprintf("%s: %s is this node, always allowed", gate, remote)}
	}
	rules := pod.Direction(d)
	if !rules.Isolated {
		return true, []string{fmt.Sprintf("%s: not isolated, no policy selects it for %s", gate, d)}
	}
	allowedBy := policiesAllowing(rules.Rules, remote, port, protocol)
	if len(allowedBy) == 0 {
		return false, []string{fmt.Sprintf("%s: denied, isolated by %s and no rule allows %s %s/%d",
			gate, m.describePolicies(rules.IsolatedBy), remote, protocol, port)}
	}
	var reasons []string
	for _, policy := range allowedBy {
		reasons = append(reasons, fmt.Sprintf("%s: allowed by %s", gate, policy))
	}
	return true, reasons
}

// policiesAllowing lists, once each and in rule order, the policies with a
// rule admitting the traffic.
func policiesAllowing(rules []Rule, remote netip.Addr, port int32, protocol Protocol) []types.NamespacedName {
	var out []types.NamespacedName
	for i := range rules {
		if rules[i].Allows(remote, port, protocol) && !slices.Contains(out, rules[i].Policy) {
			out = append(out, rules[i].Policy)
		}
	}
	return out
}

// describePolicies names policies, flagging the invalid ones so that a
// trace shows a deny caused by fail-closed.
func (m *Model) describePolicies(policies []types.NamespacedName) string {
	names := make([]string, 0, len(policies))
	for _, p := range policies {
		if m.invalid[p] {
			names = append(names, p.String()+" (invalid, fails closed)")
		} else {
			names = append(names, p.String())
		}
	}
	return strings.Join(names, ", ")
}
