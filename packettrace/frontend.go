package packettrace

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/nodeport"
)

// Frontend kinds, as `nodenet dump` names them.
const (
	kindClusterIP    = "ClusterIP"
	kindExternalIP   = "ExternalIP"
	kindLoadBalancer = "LoadBalancer"
	kindNodePort     = "NodePort"
)

// frontend is the Service port frontend a packet matched.
type frontend struct {
	sp   *serve.ServicePortView
	kind string
	addr netip.Addr // what the client connects to
	port int32
}

func (f frontend) external() bool { return f.kind != kindClusterIP }

func (f frontend) String() string {
	return fmt.Sprintf("%s %s/%s of Service %s", f.kind, netip.AddrPortFrom(f.addr, uint16(f.port)), f.sp.Protocol, servicePortName(f.sp))
}

func servicePortName(sp *serve.ServicePortView) string {
	if sp.PortName == "" {
		return sp.Service
	}
	return sp.Service + ":" + sp.PortName
}

// portMatches: the client's port spec names this Service port's port
// (number or name) and protocol.
func portMatches(p portSpec, sp *serve.ServicePortView, number int32) bool {
	if !p.matchesProtocol(sp.Protocol) {
		return false
	}
	if p.name != "" {
		return p.name == sp.PortName
	}
	return p.number == number
}

// serviceByName finds the Service port key's Service answers p on, and
// the ClusterIP of src's family it is reached through (a client resolves
// a Service's name to its ClusterIP). ok is false when no Service has
// that name; an error when it has, but not that port or family.
func (n *Node) serviceByName(key string, p portSpec, src netip.Addr) (frontend, bool, error) {
	var candidates, named []*serve.ServicePortView
	for i := range n.Dump.ServicePorts {
		sp := &n.Dump.ServicePorts[i]
		if sp.Service != key {
			continue
		}
		named = append(named, sp)
		if portMatches(p, sp, sp.Port) {
			candidates = append(candidates, sp)
		}
	}
	if len(named) == 0 {
		return frontend{}, false, nil
	}
	sp, err := pickPort(key, p, candidates, named)
	if err != nil {
		return frontend{}, true, err
	}
	for _, s := range sp.ClusterIPs {
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() == src.Is4() {
			return frontend{sp: sp, kind: kindClusterIP, addr: a, port: sp.Port}, true, nil
		}
	}
	return frontend{}, true, questionf("Service %s has no ClusterIP of the client %s's IP family (ClusterIPs: %s)", key, src, strings.Join(sp.ClusterIPs, ", "))
}

// pickPort chooses among the Service's ports that match; a bare number
// means TCP when the Service has it over TCP and UDP.
func pickPort(key string, p portSpec, candidates, all []*serve.ServicePortView) (*serve.ServicePortView, error) {
	if len(candidates) > 1 && p.protocol == "" {
		candidates = slices.DeleteFunc(candidates, func(sp *serve.ServicePortView) bool { return sp.Protocol != "TCP" })
	}
	if len(candidates) == 1 {
		return candidates[0], nil
	}
	var ports []string
	for _, sp := range all {
		ports = append(ports, fmt.Sprintf("%s %d/%s", orUnnamed(sp.PortName), sp.Port, sp.Protocol))
	}
	return nil, questionf("Service %s has no single port %s (ports: %s)", key, p, strings.Join(ports, ", "))
}

func orUnnamed(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return name
}

// frontendAt finds the frontend a packet to dst on port p hits, in the
// order the rules meet it: Service addresses (ClusterIP, external and
// load-balancer IPs), then NodePorts on the node's own addresses.
// addrKnown tells whether dst is a Service address at all, so a ClusterIP
// asked on a port it lacks can be told from an address nodenet ignores.
func (n *Node) frontendAt(dst netip.Addr, p portSpec) (fe frontend, found, addrKnown bool) {
	for i := range n.Dump.ServicePorts {
		sp := &n.Dump.ServicePorts[i]
		for _, group := range []struct {
			kind  string
			addrs []string
		}{{kindClusterIP, sp.ClusterIPs}, {kindExternalIP, sp.ExternalIPs}, {kindLoadBalancer, sp.LoadBalancerIPs}} {
			if !slices.Contains(group.addrs, dst.String()) {
				continue
			}
			addrKnown = true
			if inFamily(sp, dst) && portMatches(p, sp, sp.Port) {
				return frontend{sp: sp, kind: group.kind, addr: dst, port: sp.Port}, true, true
			}
		}
	}
	if !n.isLocal(dst) || !n.servesNodePorts(dst) {
		return frontend{}, false, addrKnown
	}
	for i := range n.Dump.ServicePorts {
		sp := &n.Dump.ServicePorts[i]
		if sp.NodePort != 0 && inFamily(sp, dst) && portMatches(p, sp, sp.NodePort) {
			return frontend{sp: sp, kind: kindNodePort, addr: dst, port: sp.NodePort}, true, addrKnown
		}
	}
	return frontend{}, false, addrKnown
}

// inFamily: as in kube-proxy, a Service port is in a family only through
// a ClusterIP of it (shadowed ones count): a single-stack IPv4 Service
// has no IPv6 NodePort and ignores IPv6 external IPs.
func inFamily(sp *serve.ServicePortView, a netip.Addr) bool {
	for _, s := range slices.Concat(sp.ClusterIPs, sp.ShadowedClusterIPs) {
		if c, err := netip.ParseAddr(s); err == nil && c.Is4() == a.Is4() {
			return true
		}
	}
	return false
}

// servesNodePorts: the local address a is one --nodeport-addresses
// selects (package nodeport decides for every backend).
func (n *Node) servesNodePorts(a netip.Addr) bool {
	var flags []string
	if n.Dump.Proxy != nil {
		flags = n.Dump.Proxy.NodePortAddresses
	}
	sel, err := nodeport.ParseAddresses(flags)
	if err != nil {
		return false
	}
	return sel.Rules(n.primaryIPs(), a.Is4()).Matches(a)
}

func (n *Node) primaryIPs() []netip.Addr {
	if n.Dump.Node == nil {
		return nil
	}
	var out []netip.Addr
	for _, s := range n.Dump.Node.PrimaryIPs {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// serviceEndpoint is the client a Service stands for as a source (a
// client says "from the frontend Service"): its first endpoint that gets
// traffic, one on this node if any, of to's family when to is an address.
func (n *Node) serviceEndpoint(key string, to endpointRef) (netip.Addr, bool) {
	var best netip.Addr
	for _, sp := range n.Dump.ServicePorts {
		if sp.Service != key {
			continue
		}
		for _, ep := range sp.Endpoints {
			ap, err := netip.ParseAddrPort(ep.Address)
			if err != nil || !ep.Target || (to.addr.IsValid() && ap.Addr().Is4() != to.addr.Is4()) {
				continue
			}
			if ep.IsLocal {
				return ap.Addr(), true
			}
			if !best.IsValid() {
				best = ap.Addr()
			}
		}
	}
	return best, best.IsValid()
}
