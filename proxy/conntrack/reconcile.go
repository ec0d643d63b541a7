package conntrack

import (
	"errors"
	"fmt"
	"net/netip"
)

// Serving is what the reconciler compares the kernel's entries with: for
// each UDP and SCTP Service frontend, the endpoints that may answer its
// flows. A frontend present with an empty set has no valid entry at all
// (a port scaled to zero, kubernetes#139628).
type Serving struct {
	// Addrs: cluster IPs, external IPs and load-balancer IPs.
	Addrs map[AddrFrontend]AddrSet
	// NodePorts answer on the node's addresses, in both families.
	NodePorts map[PortFrontend]AddrSet
	// NodeAddrs are addresses known to be the node's own (its primary
	// IPs): a NodePort flow to one of them that nothing translated was
	// recorded before the rules existed and went nowhere.
	NodeAddrs AddrSet
}

// AddrFrontend is a Service address, port and protocol.
type AddrFrontend struct {
	Protocol uint8
	Addr     netip.Addr
	Port     uint16
}

// PortFrontend is a NodePort of one family.
type PortFrontend struct {
	Protocol uint8
	Port     uint16
	IPv6     bool
}

// AddrSet is a set of endpoint addresses.
type AddrSet map[netip.Addr]struct{}

// NewServing returns an empty Serving.
func NewServing() Serving {
	return Serving{Addrs: map[AddrFrontend]AddrSet{}, NodePorts: map[PortFrontend]AddrSet{}, NodeAddrs: AddrSet{}}
}

// Stale returns one filter per (frontend, answering address) whose entries
// no serving endpoint answers:
//   - to a Service address: answered by anything but a serving endpoint,
//     an old endpoint or the address itself (recorded before the rules
//     existed, a flow that went nowhere);
//   - to a NodePort: translated to anything but a serving endpoint, or
//     not translated at all on one of NodeAddrs. Other untranslated flows
//     to that port are left alone: they may be forwarded traffic to
//     another host's port of the same number.
//
// Entries of addresses and ports that are no Service's frontend are never
// touched, so a restart keeps every valid flow (kubernetes#122740).
func (s Serving) Stale(entries []Entry) []Filter {
	seen := map[Filter]bool{}
	var out []Filter
	for _, e := range entries {
		if !s.isStale(e) {
			continue
		}
		f := Filter{Protocol: e.Protocol, OrigDst: e.OrigDst, OrigDstPort: e.OrigDstPort, ReplySrc: e.ReplySrc}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func (s Serving) isStale(e Entry) bool {
	if eps, ok := s.Addrs[AddrFrontend{e.Protocol, e.OrigDst, e.OrigDstPort}]; ok {
		return !eps.has(e.ReplySrc)
	}
	eps, ok := s.NodePorts[PortFrontend{e.Protocol, e.OrigDstPort, e.IPv6()}]
	translated := e.ReplySrc != e.OrigDst
	return ok && !eps.has(e.ReplySrc) && (translated || s.NodeAddrs.has(e.OrigDst))
}

func (a AddrSet) has(addr netip.Addr) bool {
	_, ok := a[addr]
	return ok
}

// Reconcile deletes, in each family, the entries s finds stale. A family
// that cannot be listed or cleaned does not stop the other; the error
// says which failed, and the caller runs Reconcile again later.
func (c Cleaner) Reconcile(s Serving) (deleted int, err error) {
	var errs []error
	for _, ipv6 := range families {
		entries, err := c.list(ipv6)
		if err != nil {
			errs = append(errs, fmt.Errorf("list %s conntrack entries: %w", familyName(ipv6), err))
		}
		n, _, err := c.Delete(s.Stale(entries))
		deleted += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return deleted, errors.Join(errs...)
}
