package firewall

import (
	"fmt"
	"net/netip"

	"github.com/nodenet/nodenet/netpol"
)

// The guard makes the firewall fail closed when someone else flushes or
// deletes one of its chains, until the repair (about a second, from
// nf_tables notifications). iptables treats an empty chain as "return":
// were NODENET-FW-INGRESS or a pod chain flushed, every isolated pod
// would be open, since a pod chain's allow was a RETURN and only its last
// rule rejected. So a pod chain now marks what it allows (allowMark, then
// evaluation goes on, which costs a few rules per new connection), its
// last rule rejects what is not marked, and the top chain, after each
// direction's dispatch, rejects a packet of a pod isolated in that
// direction (the guard's set, NNP-FW-ISO-I / -E) that no chain marked:
//
//	-j MARK --and-mark ~allowMark
//	-j NODENET-FW-EGRESS
//	-m set --match-set NNP-FW-ISO-E src -m mark ! --mark allowMark/allowMark -j REJECT
//	-j MARK --and-mark ~allowMark
//	-j NODENET-FW-INGRESS
//	-m set --match-set NNP-FW-ISO-I dst -m mark ! --mark allowMark/allowMark -j REJECT
//	-j MARK --and-mark ~allowMark
//
// A flushed dispatch chain or pod chain, or a flushed guard set, alone
// opens nothing. What bypasses the top chain itself (NODENET-FW flushed,
// the hook deleted or outranked, an ACCEPT inside) is rejected by the
// guard table instead (guardtable.go), which needs nothing of this chain
// to survive.
//
// allowMark is bit 13 of the packet mark: not the proxy's masquerade bit
// (14, kube-proxy's 0x4000) nor kube-proxy's old drop bit (15), below
// Calico's range (bits 16-31). It is cleared before and after use, so it
// never leaks to other rules.
const allowMark = 0x2000

var (
	markArg     = fmt.Sprintf("0x%x/0x%x", allowMark, allowMark)
	allowTarget = "-j MARK --or-mark " + fmt.Sprintf("0x%x", allowMark)
	notAllowed  = "-m mark ! --mark " + markArg
	clearMark   = fmt.Sprintf("-j MARK --and-mark 0x%x", ^uint32(allowMark))
)

// guarded is the top chain's dispatch of both directions, each followed
// by its guard while a policy exists (with none, nothing is rejected).
func (r *renderer) guarded() []string {
	if r.m.PolicyCount == 0 {
		return []string{"-j " + egressChain, "-j " + ingressChain}
	}
	lines := []string{clearMark, "-j " + egressChain}
	lines = append(lines, r.deny(r.guardMatch(netpol.Egress), "nodenet deny egress guard")...)
	lines = append(lines, clearMark, "-j "+ingressChain)
	lines = append(lines, r.deny(r.guardMatch(netpol.Ingress), "nodenet deny ingress guard")...)
	return append(lines, clearMark)
}

func (r *renderer) guardMatch(d netpol.Direction) string {
	dir := "dst"
	if d == netpol.Egress {
		dir = "src"
	}
	return fmt.Sprintf("-m set --match-set %s %s %s", guardSetOf(d, r.ipv6), dir, notAllowed)
}

// addGuardSets adds the sets of the pods isolated in each direction, with
// their addresses of this family, while a policy exists.
func (r *renderer) addGuardSets(sets map[string]*setSpec) {
	if r.m.PolicyCount == 0 {
		return
	}
	for _, d := range []netpol.Direction{netpol.Egress, netpol.Ingress} {
		sets[guardSetOf(d, r.ipv6)] = newSetSpec(SetOfAddrs, r.ipv6, r.isolatedAddrs(d))
	}
}

func (r *renderer) isolatedAddrs(d netpol.Direction) []netip.Prefix {
	var out []netip.Prefix
	for _, pod := range r.m.LocalPods {
		if !pod.Direction(d).Isolated {
			continue
		}
		for _, a := range pod.IPs {
			if r.owns(a) {
				out = append(out, hostPrefix(a))
			}
		}
	}
	return out
}
