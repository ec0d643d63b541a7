package proxy

import (
	"fmt"
	"net/netip"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// frontendKey is what two Services must not share: an address (cluster,
// external or load-balancer IP, in one space: a ClusterIP that is also
// another Service's external IP on the same port is the same frontend)
// with port and protocol, or a NodePort (addr unset), which answers on
// every node address. Two Services on one key would split or hijack each
// other's traffic (issue 11).
type frontendKey struct {
	addr     netip.Addr
	port     int32
	protocol v1.Protocol
}

func (k frontendKey) String() string {
	if !k.addr.IsValid() {
		return fmt.Sprintf("%d/%s", k.port, k.protocol)
	}
	return fmt.Sprintf("%s port %d/%s", k.addr, k.port, k.protocol)
}

func keyOf(fe Frontend) frontendKey {
	return frontendKey{addr: fe.Addr, port: fe.Port, protocol: fe.Protocol}
}

// claimant is one Service's ports as derived from its spec, before
// conflicts are resolved, and what decides who owns a contested frontend.
type claimant struct {
	svc   *v1.Service // kept to report a lost frontend on the right object
	ports map[ServicePortName]*ServicePort
}

// frontendClaims resolves frontend conflicts the way kube-proxy's
// allocator history implies for NodePorts: the older Service
// (creationTimestamp, then namespace/name) keeps the frontend, the other
// loses that frontend only. Resolution depends only on the current set of
// Services, so it is deterministic whatever the event order, and a loser
// takes over as soon as the owner is gone.
type frontendClaims struct {
	services map[types.NamespacedName]claimant
	byKey    map[frontendKey]sets.Set[types.NamespacedName]
}

func newFrontendClaims() *frontendClaims {
	return &frontendClaims{
		services: map[types.NamespacedName]claimant{},
		byKey:    map[frontendKey]sets.Set[types.NamespacedName]{},
	}
}

// set replaces the claims of name (ports nil: deleted) and returns every
// Service whose resolved ports may have changed: name and everyone who
// shared a frontend with it before or after.
func (c *frontendClaims) set(name types.NamespacedName, svc *v1.Service, ports map[ServicePortName]*ServicePort) sets.Set[types.NamespacedName] {
	affected := sets.New(name)
	for key := range frontendsOf(c.services[name].ports) {
		affected = affected.Union(c.byKey[key])
		c.byKey[key].Delete(name)
		if c.byKey[key].Len() == 0 {
			delete(c.byKey, key)
		}
	}
	delete(c.services, name)
	if len(ports) == 0 {
		return affected
	}
	c.services[name] = claimant{svc: svc, ports: ports}
	for key := range frontendsOf(ports) {
		if c.byKey[key] == nil {
			c.byKey[key] = sets.New[types.NamespacedName]()
		}
		c.byKey[key].Insert(name)
		affected = affected.Union(c.byKey[key])
	}
	return affected
}

// resolved returns name's ports without the frontends older Services own,
// and what it lost.
func (c *frontendClaims) resolved(name types.NamespacedName) (map[ServicePortName]*ServicePort, lostFrontends) {
	ports := c.services[name].ports
	var out map[ServicePortName]*ServicePort
	var lost lostFrontends
	for spn, sp := range ports {
		trimmed := c.withoutLost(name, sp, &lost)
		if trimmed == sp {
			continue
		}
		if out == nil {
			out = make(map[ServicePortName]*ServicePort, len(ports))
			for k, v := range ports {
				out[k] = v
			}
		}
		out[spn] = trimmed
	}
	if out == nil {
		return ports, lost
	}
	return out, lost
}

// withoutLost returns sp itself when name owns all its frontends, else a
// copy without those it lost, recorded in lost.
func (c *frontendClaims) withoutLost(name types.NamespacedName, sp *ServicePort, lost *lostFrontends) *ServicePort {
	var gone []Frontend
	for _, fe := range sp.Frontends() {
		if owner := c.owner(keyOf(fe)); owner != name {
			gone = append(gone, fe)
			lost.add(fe, owner)
		}
	}
	if len(gone) == 0 {
		return sp
	}
	trimmed := *sp
	keep := func(kind FrontendKind, addrs []netip.Addr) []netip.Addr {
		return slices.DeleteFunc(slices.Clone(addrs), func(a netip.Addr) bool {
			return slices.Contains(gone, Frontend{Kind: kind, Addr: a, Port: sp.Port, Protocol: sp.Protocol})
		})
	}
	trimmed.ClusterIPs = keep(ClusterIPFrontend, sp.ClusterIPs)
	trimmed.ExternalIPs = keep(ExternalIPFrontend, sp.ExternalIPs)
	trimmed.LoadBalancerIPs = keep(LoadBalancerFrontend, sp.LoadBalancerIPs)
	trimmed.ShadowedClusterIPs = slices.DeleteFunc(slices.Clone(sp.ClusterIPs), func(a netip.Addr) bool {
		return slices.Contains(trimmed.ClusterIPs, a)
	})
	if slices.ContainsFunc(gone, func(fe Frontend) bool { return fe.Kind == NodePortFrontend }) {
		trimmed.NodePort = 0
	}
	return &trimmed
}

// owner is the oldest claimant of key, ties broken by namespace/name.
func (c *frontendClaims) owner(key frontendKey) types.NamespacedName {
	var best types.NamespacedName
	first := true
	for name := range c.byKey[key] {
		if first || c.older(name, best) {
			best, first = name, false
		}
	}
	return best
}

func (c *frontendClaims) older(a, b types.NamespacedName) bool {
	ta, tb := c.services[a].svc.CreationTimestamp.Time, c.services[b].svc.CreationTimestamp.Time
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

func frontendsOf(ports map[ServicePortName]*ServicePort) sets.Set[frontendKey] {
	out := sets.New[frontendKey]()
	for _, sp := range ports {
		for _, fe := range sp.Frontends() {
			out.Insert(keyOf(fe))
		}
	}
	return out
}
