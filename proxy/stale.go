package proxy

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy/conntrack"
)

// portState is what conntrack cleanup needs to know of one Service port
// before and after a sync: the endpoints each frontend sends traffic to.
// Frontends are told apart because traffic policies give them different
// endpoints (a ClusterIP under internalTrafficPolicy Local reaches only
// local ones while the NodePort reaches all).
type portState struct {
	proto  v1.Protocol
	fronts map[Frontend][]Endpoint
}

// portStates keeps only the UDP and SCTP ports of names: staleFlows
// looks at nothing else, and on a full sync of 10k TCP Services the
// frontend maps cost ~45 MB of garbage, twice.
func (t *Table) portStates(names sets.Set[ServicePortName]) map[ServicePortName]portState {
	out := map[ServicePortName]portState{}
	for name := range names {
		sp := t.Services[name]
		if sp == nil || !connectionless(sp.Protocol) {
			continue
		}
		st := portState{proto: sp.Protocol, fronts: map[Frontend][]Endpoint{}}
		for _, fe := range sp.Frontends() {
			st.fronts[fe] = t.FrontendTargets(name, fe.Kind)
		}
		out[name] = st
	}
	return out
}

// staleFlows returns the conntrack filters whose entries the change from
// before to after made wrong, for UDP and SCTP (kube-proxy does the same):
//   - an endpoint that stopped taking a frontend's traffic (gone, not
//     ready, or no longer eligible under a Local policy): entries of that
//     frontend answered by it, or a client that reuses its source port (a
//     DNS resolver) keeps sending to it until the entry times out;
//   - a frontend that gained its first endpoint: every entry of it, which
//     recorded packets that went nowhere.
func staleFlows(before, after map[ServicePortName]portState) []conntrack.Filter {
	var out []conntrack.Filter
	for name, old := range before {
		if !connectionless(old.proto) {
			continue
		}
		for fe, eps := range old.fronts {
			kept := addrsOf(after[name].fronts[fe])
			for _, ep := range eps {
				if !kept.Has(ep.Addr) {
					out = append(out, filterFor(fe, ep.Addr)...)
				}
			}
		}
	}
	for name, cur := range after {
		if !connectionless(cur.proto) {
			continue
		}
		for fe, eps := range cur.fronts {
			out = append(out, firstEndpointFilters(fe, before[name].fronts[fe], eps)...)
		}
	}
	return out
}

// firstEndpointFilters selects fe's entries in each family that gained
// its first endpoint: a table only DNATs to its own family, so a
// dual-stack NodePort that had IPv4 endpoints and gets its first IPv6 one
// has stale IPv6 entries only. An address frontend has one family.
func firstEndpointFilters(fe Frontend, before, after []Endpoint) []conntrack.Filter {
	var out []conntrack.Filter
	for _, is4 := range []bool{true, false} {
		if fe.Addr.IsValid() && fe.Addr.Is4() != is4 {
			continue
		}
		if len(endpointsOfFamily(after, is4)) > 0 && len(endpointsOfFamily(before, is4)) == 0 {
			for _, f := range filterFor(fe, netip.Addr{}) {
				f.IPv6 = !is4
				out = append(out, f)
			}
		}
	}
	return out
}

func connectionless(p v1.Protocol) bool { return p == v1.ProtocolUDP || p == v1.ProtocolSCTP }

// protocolNumber is the IP protocol number conntrack knows a
// connectionless protocol by.
func protocolNumber(p v1.Protocol) uint8 {
	if p == v1.ProtocolSCTP {
		return 132 // IPPROTO_SCTP
	}
	return 17 // IPPROTO_UDP
}

func addrsOf(eps []Endpoint) sets.Set[netip.Addr] {
	s := sets.New[netip.Addr]()
	for _, ep := range eps {
		s.Insert(ep.Addr)
	}
	return s
}

// filterFor selects fe's entries, answered by replySrc when it is set;
// none when the two are of different families.
func filterFor(fe Frontend, replySrc netip.Addr) []conntrack.Filter {
	if replySrc.IsValid() && fe.Addr.IsValid() && fe.Addr.Is4() != replySrc.Is4() {
		return nil
	}
	return []conntrack.Filter{{Protocol: protocolNumber(fe.Protocol), OrigDst: fe.Addr, OrigDstPort: uint16(fe.Port), ReplySrc: replySrc}}
}
