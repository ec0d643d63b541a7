package proxy

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// nodePortKey is what two Services must not share: one NodePort answers
// on every node address, so only one Service can own port+protocol.
type nodePortKey struct {
	port     int32
	protocol v1.Protocol
}

func (k nodePortKey) String() string { return fmt.Sprintf("%d/%s", k.port, k.protocol) }

// claimant is one Service's ports as derived from its spec, before
// conflicts are resolved, and what decides who owns a contested NodePort.
type claimant struct {
	svc   *v1.Service // kept to report a lost NodePort on the right object
	ports map[ServicePortName]*ServicePort
}

// nodePortClaims resolves NodePort conflicts the way kube-proxy's
// allocator history implies: the older Service (creationTimestamp, then
// namespace/name) keeps the port, the other's NodePort frontend is left
// out. Resolution depends only on the current set of Services, so it is
// deterministic whatever the event order, and a loser takes over as soon
// as the owner is gone.
type nodePortClaims struct {
	services map[types.NamespacedName]claimant
	byPort   map[nodePortKey]sets.Set[types.NamespacedName]
}

func newNodePortClaims() *nodePortClaims {
	return &nodePortClaims{
		services: map[types.NamespacedName]claimant{},
		byPort:   map[nodePortKey]sets.Set[types.NamespacedName]{},
	}
}

// set replaces the claims of name (ports nil: deleted) and returns every
// Service whose resolved ports may have changed: name and everyone who
// shared a NodePort with it before or after.
func (c *nodePortClaims) set(name types.NamespacedName, svc *v1.Service, ports map[ServicePortName]*ServicePort) sets.Set[types.NamespacedName] {
	affected := sets.New(name)
	for key := range nodePortsOf(c.services[name].ports) {
		affected = affected.Union(c.byPort[key])
		c.byPort[key].Delete(name)
		if c.byPort[key].Len() == 0 {
			delete(c.byPort, key)
		}
	}
	delete(c.services, name)
	if len(ports) == 0 {
		return affected
	}
	c.services[name] = claimant{svc: svc, ports: ports}
	for key := range nodePortsOf(ports) {
		if c.byPort[key] == nil {
			c.byPort[key] = sets.New[types.NamespacedName]()
		}
		c.byPort[key].Insert(name)
		affected = affected.Union(c.byPort[key])
	}
	return affected
}

// resolved returns name's ports with the NodePorts it lost left out, and
// an error naming the lost ports and their owners (nil: none lost).
func (c *nodePortClaims) resolved(name types.NamespacedName) (map[ServicePortName]*ServicePort, error) {
	ports := c.services[name].ports
	var out map[ServicePortName]*ServicePort
	var lost []string
	for spn, sp := range ports {
		key := nodePortKey{port: sp.NodePort, protocol: sp.Protocol}
		owner := c.owner(key)
		if sp.NodePort == 0 || owner == name {
			continue
		}
		if out == nil {
			out = make(map[ServicePortName]*ServicePort, len(ports))
			for k, v := range ports {
				out[k] = v
			}
		}
		trimmed := *sp
		trimmed.NodePort = 0
		out[spn] = &trimmed
		lost = append(lost, fmt.Sprintf("nodePort %s is used by the older Service %s", key, owner))
	}
	if out == nil {
		return ports, nil
	}
	return out, conflictError(lost)
}

// owner is the oldest claimant of key, ties broken by namespace/name.
func (c *nodePortClaims) owner(key nodePortKey) types.NamespacedName {
	var best types.NamespacedName
	first := true
	for name := range c.byPort[key] {
		if first || c.older(name, best) {
			best, first = name, false
		}
	}
	return best
}

func (c *nodePortClaims) older(a, b types.NamespacedName) bool {
	ta, tb := c.services[a].svc.CreationTimestamp.Time, c.services[b].svc.CreationTimestamp.Time
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

func nodePortsOf(ports map[ServicePortName]*ServicePort) sets.Set[nodePortKey] {
	out := sets.New[nodePortKey]()
	for _, sp := range ports {
		if sp.NodePort > 0 {
			out.Insert(nodePortKey{port: sp.NodePort, protocol: sp.Protocol})
		}
	}
	return out
}
