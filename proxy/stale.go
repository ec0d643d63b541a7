package proxy

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy/conntrack"
)

// portState is what conntrack cleanup needs to know of one Service port
// before and after a sync.
type portState struct {
	sp      *ServicePort
	targets []Endpoint
}

func (t *Table) portStates(names sets.Set[ServicePortName]) map[ServicePortName]portState {
	out := make(map[ServicePortName]portState, names.Len())
	for name := range names {
		if sp := t.Services[name]; sp != nil {
			out[name] = portState{sp: sp, targets: t.Targets(name)}
		}
	}
	return out
}

// staleFlows returns the conntrack filters whose entries the change from
// before to after made wrong, for UDP and SCTP (kube-proxy does the same):
//   - an endpoint that stopped taking traffic: entries of the port's
//     frontends answered by it, or a client that reuses its source port
//     (a DNS resolver) keeps sending to it until the entry times out;
//   - a port that gained its first endpoint: every entry of its
//     frontends, which recorded packets that went nowhere.
func staleFlows(before, after map[ServicePortName]portState) []conntrack.Filter {
	var out []conntrack.Filter
	for name, old := range before {
		if !connectionless(old.sp.Protocol) {
			continue
		}
		kept := addrsOf(after[name].targets)
		for _, ep := range old.targets {
			if !kept.Has(ep.Addr) {
				out = append(out, filtersFor(old.sp, ep.Addr)...)
			}
		}
	}
	for name, cur := range after {
		if connectionless(cur.sp.Protocol) && len(cur.targets) > 0 && len(before[name].targets) == 0 {
			out = append(out, filtersFor(cur.sp, netip.Addr{})...)
		}
	}
	return out
}

func connectionless(p v1.Protocol) bool { return p == v1.ProtocolUDP || p == v1.ProtocolSCTP }

func addrsOf(eps []Endpoint) sets.Set[netip.Addr] {
	s := sets.New[netip.Addr]()
	for _, ep := range eps {
		s.Insert(ep.Addr)
	}
	return s
}

// filtersFor selects sp's entries, answered by replySrc when it is set.
func filtersFor(sp *ServicePort, replySrc netip.Addr) []conntrack.Filter {
	proto := uint8(17)
	if sp.Protocol == v1.ProtocolSCTP {
		proto = 132
	}
	var out []conntrack.Filter
	for _, fe := range sp.Frontends() {
		if replySrc.IsValid() && fe.Addr.IsValid() && fe.Addr.Is4() != replySrc.Is4() {
			continue
		}
		out = append(out, conntrack.Filter{Protocol: proto, OrigDst: fe.Addr, OrigDstPort: uint16(fe.Port), ReplySrc: replySrc})
	}
	return out
}
