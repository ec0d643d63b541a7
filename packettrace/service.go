package packettrace

import (
	"fmt"
	"net/netip"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/agent/serve"
)

// throughService follows the packet through the Service port's rules:
// source ranges, the traffic policy's choice of endpoints, masquerade,
// then each endpoint's NetworkPolicy verdict.
func (t *tracer) throughService(fe frontend) {
	t.step(StageFrontend, "matched %s", fe)
	if !t.sourceRangesAllow(fe) {
		return
	}
	all := t.family(fe.sp, func(ep serve.EndpointView) bool { return ep.Target })
	if len(all) == 0 {
		t.step(StageEndpoints, "%s has no usable endpoint (none ready, none serving while terminating): REJECT (ICMP port unreachable, the client sees \"connection refused\")", servicePortName(fe.sp))
		t.answer.Outcome = Rejected
		return
	}
	targets, masq, why := t.route(fe, all)
	if len(targets) == 0 {
		t.step(StageEndpoints, "%s: DROP (kube-proxy's \"has no local endpoints\"): the client times out", why)
		t.answer.Outcome = Dropped
		return
	}
	t.describeTargets(fe, targets, why)
	t.step(StageMasquerade, "%s", masq.why)
	proto := v1.Protocol(fe.sp.Protocol)
	for _, ep := range targets {
		ap, _ := netip.ParseAddrPort(ep.Address) // the agent wrote it
		target := Target{
			Address:     ep.Address,
			Pod:         t.n.podOf(ap.Addr()),
			Probability: 1 / float64(len(targets)),
			Local:       ep.IsLocal,
			Masquerade:  masq.on,
		}
		if ap.Addr() == t.src {
			target.Masquerade = true
			t.step(StageMasquerade, "%s is the client itself (hairpin): masqueraded so the reply comes back through the node", ep.Address)
		}
		t.answer.Endpoints = append(t.answer.Endpoints, t.withPolicy(target, ap, proto))
	}
}

// family is the Service port's endpoints of the client's family that
// keep says are targets, as the table made them.
func (t *tracer) family(sp *serve.ServicePortView, keep func(serve.EndpointView) bool) []serve.EndpointView {
	var out []serve.EndpointView
	for _, ep := range sp.Endpoints {
		ap, err := netip.ParseAddrPort(ep.Address)
		if err == nil && ap.Addr().Is4() == t.src.Is4() && keep(ep) {
			out = append(out, ep)
		}
	}
	return out
}

// sourceRangesAllow applies loadBalancerSourceRanges to a load-balancer
// IP (only those are restricted, as in kube-proxy): a client outside
// every range of its family is dropped, whether or not there are
// endpoints.
func (t *tracer) sourceRangesAllow(fe frontend) bool {
	if fe.kind != kindLoadBalancer || len(fe.sp.LoadBalancerSourceRanges) == 0 {
		return true
	}
	for _, s := range fe.sp.LoadBalancerSourceRanges {
		if p, err := netip.ParsePrefix(s); err == nil && p.Contains(t.src) {
			t.step(StageSourceRange, "%s is inside loadBalancerSourceRanges %s", t.src, s)
			return true
		}
	}
	t.step(StageSourceRange, "%s is outside loadBalancerSourceRanges (%s): DROP", t.src, strings.Join(fe.sp.LoadBalancerSourceRanges, ", "))
	t.answer.Outcome = Dropped
	return false
}

// masquerade is whether the node rewrites the source, and why.
type masquerade struct {
	on  bool
	why string
}

// route picks the endpoints as the traffic policy does, and says whether
// the packets are masqueraded (iptables/policy.go renders the same
// decisions; kube-proxy's KUBE-SVC, KUBE-EXT and KUBE-MARK-MASQ).
func (t *tracer) route(fe frontend, all []serve.EndpointView) ([]serve.EndpointView, masquerade, string) {
	local := t.family(fe.sp, func(ep serve.EndpointView) bool { return ep.LocalTarget })
	switch {
	case fe.kind == kindClusterIP && fe.sp.InternalTrafficPolicyLocal:
		return local, t.clusterMasquerade(fe), "internalTrafficPolicy: Local, this node's endpoints only"
	case !fe.external() || !fe.sp.ExternalTrafficPolicyLocal:
		return all, t.clusterMasquerade(fe), "all endpoints (traffic policy Cluster)"
	}
	if cidr, ok := t.n.clusterCIDR(t.src); ok && cidr.Contains(t.src) {
		return all, masquerade{why: fmt.Sprintf("not masqueraded: externalTrafficPolicy Local, and the source is inside --cluster-cidr %s (a pod, short-circuited to all endpoints)", cidr)},
			"externalTrafficPolicy: Local, but a pod's traffic goes to all endpoints"
	}
	if t.n.isLocal(t.src) {
		return all, masquerade{on: true, why: "masqueraded: the node itself reaching an externalTrafficPolicy Local frontend (short-circuited to all endpoints)"},
			"externalTrafficPolicy: Local, but the node's own traffic goes to all endpoints"
	}
	return local, masquerade{why: "not masqueraded: externalTrafficPolicy Local keeps the client's address"},
		"externalTrafficPolicy: Local, this node's endpoints only"
}

// clusterMasquerade: external frontends always (the reply must come back
// through this node), ClusterIPs with --masquerade-all or from outside
// --cluster-cidr.
func (t *tracer) clusterMasquerade(fe frontend) masquerade {
	switch {
	case fe.external():
		return masquerade{on: true, why: fmt.Sprintf("masqueraded: traffic to a %s under externalTrafficPolicy Cluster takes the node's address, so replies come back through this node", fe.kind)}
	case t.n.masqueradeAll():
		return masquerade{on: true, why: "masqueraded: --masquerade-all"}
	}
	cidr, ok := t.n.clusterCIDR(t.src)
	switch {
	case !ok:
		return masquerade{why: "not masqueraded: no --cluster-cidr of this family and no --masquerade-all"}
	case cidr.Contains(t.src):
		return masquerade{why: fmt.Sprintf("not masqueraded: the source is inside --cluster-cidr %s", cidr)}
	}
	return masquerade{on: true, why: fmt.Sprintf("masqueraded: the source is outside --cluster-cidr %s", cidr)}
}

func (t *tracer) describeTargets(fe frontend, targets []serve.EndpointView, why string) {
	list := make([]string, len(targets))
	for i, ep := range targets {
		list[i] = fmt.Sprintf("%s (%s)", ep.Address, probability(len(targets)))
	}
	t.step(StageEndpoints, "%s: %s", why, strings.Join(list, ", "))
	if s := fe.sp.SessionAffinitySeconds; s > 0 {
		t.step(StageAffinity, "sessionAffinity ClientIP: a client that reached an endpoint within the last %d s of idleness goes back to it; otherwise the pick is random", s)
	}
}

func probability(n int) string {
	if n == 1 {
		return "always"
	}
	return fmt.Sprintf("1/%d", n)
}
