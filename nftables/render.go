package nftables

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/nodenet/nodenet/proxy"
)

// Short local names for the core's frontend types.
type frontend = proxy.Frontend

// render computes the bundle of service port name in this family from the
// table alone (pure: the same table gives the same bundle).
// Endpoint-map slots come from alloc; old is the port's previous bundle
// (nil if none), whose blocks are reused where they still fit.
func (c *config) render(t *proxy.Table, name proxy.ServicePortName, alloc *slotAllocator, old *bundle) *bundle {
	b := newBundle()
	s := &slotter{alloc: alloc, shard: endpointMap(name), taken: map[string]bool{}}
	if old != nil {
		s.old = old.blocks
	}
	defer s.done()
	sp := t.Services[name]
	if sp == nil || !c.servesFamily(sp) {
		return b
	}
	r := serviceRender{cfg: c, t: t, sp: sp, b: b, slots: s,
		all: t.FamilyTargets(name, c.family.is4())}
	if sp.ExternalPolicyLocal || sp.InternalPolicyLocal {
		r.local = t.FamilyLocalTargets(name, c.family.is4())
	}
	fes := c.frontendsOf(sp)
	for _, fe := range fes {
		r.frontend(fe)
	}
	if len(r.all) > 0 {
		r.chains(fes)
	}
	return b
}

// serviceRender holds what rendering one service port needs.
type serviceRender struct {
	cfg        *config
	t          *proxy.Table
	sp         *proxy.ServicePort
	b          *bundle
	slots      *slotter
	all, local []proxy.Endpoint // Cluster and Local policy targets
}

// frontend adds fe's elements: a dispatch element into the service's
// entry chain, or, with no usable endpoint at all, a reject element (as
// kube-proxy: REJECT, whatever the traffic policy).
func (r *serviceRender) frontend(fe frontend) {
	proto := strings.ToLower(string(fe.Protocol))
	port := itoa(int(fe.Port))
	n := r.sp.Name
	entry := "goto " + serviceObject(prefixExternal, n)
	if fe.Kind == proxy.ClusterIPFrontend {
		entry = "goto " + serviceObject(prefixService, n)
		r.b.addElem(setClusterIPs, []string{fe.Addr.String()})
	}
	reject := "goto " + chainReject
	if fe.Kind == proxy.NodePortFrontend {
		key := []string{proto, port}
		if len(r.all) == 0 {
			r.b.addElem(mapNoEndpointNodePorts, key, reject)
		} else {
			r.b.addElem(mapServiceNodePorts, key, entry)
		}
		return
	}
	key := []string{fe.Addr.String(), proto, port}
	if fe.Kind == proxy.LoadBalancerFrontend && len(r.sp.LoadBalancerSourceRanges) > 0 {
		r.b.addElem(mapFirewallIPs, key, "goto "+serviceObject(prefixFirewall, n))
		r.b.chains[serviceObject(prefixFirewall, n)] = r.cfg.firewallRules(r.sp)
	}
	if len(r.all) == 0 {
		r.b.addElem(mapNoEndpointServices, key, reject)
		return
	}
	r.b.addElem(mapServiceIPs, key, entry)
}

// chains writes the entry and selection chains of a service port that has
// usable endpoints:
//
//	svc-  ClusterIP: mark for masquerade where needed, then choose among
//	      the ClusterIP targets (all, or local under internalTrafficPolicy
//	      Local).
//	ext-  external frontends: Cluster policy marks and goes to the
//	      cluster-wide choice; Local policy as kube-proxy's external chain.
//	clu-  the cluster-wide choice, only when svc- chooses local ones.
//	loc-  the local choice, under externalTrafficPolicy Local.
func (r *serviceRender) chains(fes []frontend) {
	n := r.sp.Name
	svc := serviceObject(prefixService, n)
	r.b.chains[svc] = append(r.cfg.clusterIPMasq(), r.selection(svc, r.clusterIPTargets())...)
	if hasExternal(fes) {
		clusterWide := svc
		if r.sp.InternalPolicyLocal {
			clusterWide = serviceObject(prefixCluster, n)
			r.b.chains[clusterWide] = r.selection(clusterWide, r.all)
		}
		ext := serviceObject(prefixExternal, n)
		if r.sp.ExternalPolicyLocal {
			// Its own choice even when svc- also picks local targets:
			// svc- marks clients outside the cluster CIDR for masquerade,
			// which eTP Local must not do.
			loc := serviceObject(prefixLocal, n)
			r.b.chains[loc] = r.selection(loc, r.local)
			r.b.chains[ext] = r.cfg.externalLocalRules(clusterWide, loc)
		} else {
			r.b.chains[ext] = chainRules{"jump " + chainMarkForMasq, "goto " + clusterWide}
		}
	}
	r.hairpin()
}

// clusterIPTargets are the ClusterIP frontends' targets.
func (r *serviceRender) clusterIPTargets() []proxy.Endpoint {
	if r.sp.InternalPolicyLocal {
		return r.local
	}
	return r.all
}

func hasExternal(fes []frontend) bool {
	for _, fe := range fes {
		if fe.Kind != proxy.ClusterIPFrontend {
			return true
		}
	}
	return false
}

// selection spreads new connections over targets at random, after sending
// a client with affinity back to its endpoint. The targets are elements
// of the port's endpoint map (slots.go): one rule picks slot offset+i
// with i uniform in [0, n). With no target (a Local policy without local
// endpoint) the traffic is dropped, as kube-proxy's "has no local
// endpoints": the client should retry through another node.
func (r *serviceRender) selection(chain string, targets []proxy.Endpoint) chainRules {
	if len(targets) == 0 {
		return chainRules{"drop"}
	}
	if r.sp.StickyMaxAgeSeconds > 0 {
		return r.stickySelection(targets)
	}
	proto := strings.ToLower(string(r.sp.Protocol))
	if len(targets) == 1 {
		return chainRules{"meta l4proto " + proto + " dnat to " + targets[0].AddrPort().String()}
	}
	blk := r.slots.get(chain, len(targets))
	r.b.blocks[chain] = blk
	for i, ep := range targets {
		r.b.addElem(blk.shard, []string{strconv.FormatUint(uint64(blk.base)+uint64(i), 10)}, ep.Addr.String(), itoa(int(ep.Port)))
	}
	return chainRules{"meta l4proto " + proto + " dnat " + r.cfg.family.kw + " to numgen random mod " + itoa(len(targets)) +
		" offset " + strconv.FormatUint(uint64(blk.base), 10) + " map @" + blk.shard}
}

// randomMatch matches one packet in left (nothing when left is 1).
func randomMatch(left int) string {
	if left <= 1 {
		return ""
	}
	return "numgen random mod " + itoa(left) + " == 0 "
}

// stickySelection is kube-proxy's affinity: a timed set per endpoint
// holds the clients it served recently; a client found in one goes back
// there, others are spread at random into per-endpoint chains (rule i of
// n matches 1 in n-i, so each endpoint gets 1/n: kube-proxy's iptables
// scheme; a numgen vmap would be an anonymous set per Service) that add
// (or refresh: update resets the timeout, so it counts idle time) the
// client in that endpoint's set.
func (r *serviceRender) stickySelection(targets []proxy.Endpoint) chainRules {
	var checks, spread chainRules
	proto := strings.ToLower(string(r.sp.Protocol))
	kw := r.cfg.family.kw
	for i, ep := range targets {
		base := affinityBase(r.sp.Name, ep, r.sp.StickyMaxAgeSeconds)
		set, chain := prefixAffinitySet+"-"+base, prefixAffinityChain+"-"+base
		r.b.sets[set] = time.Duration(r.sp.StickyMaxAgeSeconds) * time.Second
		r.b.chains[chain] = chainRules{
			"update @" + set + " { " + kw + " saddr }",
			"meta l4proto " + proto + " dnat to " + ep.AddrPort().String(),
		}
		checks = append(checks, kw+" saddr @"+set+" goto "+chain)
		spread = append(spread, randomMatch(len(targets)-i)+"goto "+chain)
	}
	return append(checks, spread...)
}

// hairpin adds this node's endpoints among the targets to the hairpin
// set: a connection from one of them to its own Service that lands back on
// itself is masqueraded, or the pod would drop the reply coming from its
// own address.
func (r *serviceRender) hairpin() {
	seen := map[netip.Addr]bool{}
	for _, list := range [][]proxy.Endpoint{r.all, r.local} {
		for _, ep := range list {
			if ep.IsLocal && !seen[ep.Addr] {
				seen[ep.Addr] = true
				a := ep.Addr.String()
				r.b.addElem(setHairpin, []string{a, a})
			}
		}
	}
}
