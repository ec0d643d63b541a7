package proxy

import (
	"github.com/nodenet/nodenet/proxy/conntrack"
)

// servingFrontends is what the conntrack reconciler compares every entry
// with, as kube-proxy's reconciler does since v1.32 (kubernetes#127318):
// for each UDP and SCTP frontend, the addresses of the port's serving
// endpoints: ready, or terminating but still serving, to which existing
// flows may drain. A port without one is kept with an empty set, so its
// entries all go (kubernetes#139628: a port scaled to zero kept sending
// to the deleted pod). Endpoints a Local policy or topology hints skip
// for new flows still serve the old ones; the change-driven cleanup
// (stale.go) handles those when it sees the change.
func (t *Table) servingFrontends() conntrack.Serving {
	s := conntrack.NewServing()
	for _, a := range t.Node.PrimaryIPs {
		s.NodeAddrs[a] = struct{}{}
	}
	for name, sp := range t.Services {
		if !connectionless(sp.Protocol) {
			continue
		}
		eps := conntrack.AddrSet{}
		for _, ep := range t.Endpoints[name] {
			if ep.Ready || ep.Serving {
				eps[ep.Addr] = struct{}{}
			}
		}
		for _, fe := range sp.Frontends() {
			if fe.Kind != NodePortFrontend {
				s.Addrs[conntrack.AddrFrontend{Protocol: protocolNumber(fe.Protocol), Addr: fe.Addr, Port: uint16(fe.Port)}] = eps
				continue
			}
			for _, ipv6 := range []bool{false, true} {
				s.NodePorts[conntrack.PortFrontend{Protocol: protocolNumber(fe.Protocol), Port: uint16(fe.Port), IPv6: ipv6}] = eps
			}
		}
	}
	return s
}
