package netpol

import (
	"fmt"
)

// ingressRules are cp's ingress allows for one selected pod. Named ports
// resolve in that pod, whatever the peer kind: the destination is the pod.
// The peers do not depend on the pod: peers[i] memoizes rule i's across
// the selected pods, filled on first use so that a rule whose ports
// resolve in no selected pod adds no peer to the model.
func (b *builder) ingressRules(cp *compiledPolicy, peers [][]*Peer, dst *Pod) []Rule {
	var out []Rule
	for i, rule := range cp.ingress {
		ports, matchesSomething := resolvePorts(rule.ports, dst.Ports)
		if !matchesSomething {
			continue
		}
		if peers[i] == nil {
			peers[i] = b.rulePeers(cp, Ingress, i, rule)
		}
		for _, peer := range peers[i] {
			out = append(out, Rule{Policy: cp.ref, Peer: peer, Ports: ports})
		}
	}
	return out
}

// egressRules are cp's egress allows, the same for every selected pod. A
// named port resolves in each destination pod, so a rule using one splits
// into a rule per group of peer pods that share the resolved numbers.
func (b *builder) egressRules(cp *compiledPolicy) []Rule {
	var out []Rule
	for i, rule := range cp.egress {
		peers := b.rulePeers(cp, Egress, i, rule)
		if len(rule.ports) == 0 {
			for _, peer := range peers {
				out = append(out, Rule{Policy: cp.ref, Peer: peer})
			}
			continue
		}
		numbered, named := splitNamedPorts(rule.ports)
		for _, peer := range peers {
			if len(numbered) > 0 {
				out = append(out, Rule{Policy: cp.ref, Peer: peer, Ports: numbered})
			}
			if len(named) > 0 {
				out = append(out, b.namedPortEgressRules(cp, peer, named)...)
			}
		}
	}
	return out
}

// namedPortEgressRules resolves named ports in every pod of peer. An ipBlock
// peer yields nothing: an address is not a pod and has no port names
// (upstream behaviour). An anywhere peer means every pod in the cluster.
func (b *builder) namedPortEgressRules(cp *compiledPolicy, peer *Peer, named []compiledPort) []Rule {
	var candidates []*Pod
	switch peer.Kind {
	case PeerAnywhere:
		candidates = b.cluster.addressable
	case PeerPods:
		for _, key := range peer.Pods {
			candidates = append(candidates, b.cluster.byKey[key])
		}
	case PeerIPBlock:
		return nil
	}
	var out []Rule
	for _, group := range groupPodsByResolvedPorts(candidates, named) {
		origin := fmt.Sprintf("%s ports %s", peer.Origin, group.key)
		sub := b.internPeer(origin, func() *Peer { return podsPeer(group.pods) })
		out = append(out, Rule{Policy: cp.ref, Peer: sub, Ports: group.ports})
	}
	return out
}

// rulePeers returns the interned peers of rule number index of cp; a rule
// without peers has the single peer "anywhere".
func (b *builder) rulePeers(cp *compiledPolicy, d Direction, index int, rule compiledRule) []*Peer {
	ruleOrigin := fmt.Sprintf("%s %s[%d]", cp.ref, d, index)
	if len(rule.peers) == 0 {
		return []*Peer{b.internPeer(ruleOrigin+" anywhere", anywherePeer)}
	}
	var out []*Peer
	for j, cpeer := range rule.peers {
		origin := fmt.Sprintf("%s peer[%d]", ruleOrigin, j)
		out = append(out, b.internPeer(origin, func() *Peer { return b.resolvePeer(cp, cpeer) }))
	}
	return out
}

// internPeer returns the peer already built for origin, or builds it once.
// Interning keeps Model.Peers one entry per future ipset and saves
// re-resolving selectors for every selected pod.
func (b *builder) internPeer(origin string, build func() *Peer) *Peer {
	name := peerName(origin)
	if p, ok := b.model.Peers[name]; ok {
		return p
	}
	p := build()
	p.Name, p.Origin = name, origin
	b.model.Peers[name] = p
	return p
}

func (b *builder) resolvePeer(cp *compiledPolicy, peer compiledPeer) *Peer {
	if peer.block != nil {
		return &Peer{Kind: PeerIPBlock, Block: *peer.block}
	}
	return podsPeer(b.cluster.peerPods(cp.ref.Namespace, peer))
}

func anywherePeer() *Peer { return &Peer{Kind: PeerAnywhere} }
