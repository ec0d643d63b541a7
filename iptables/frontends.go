package iptables

import (
	"strconv"
	"strings"

	"github.com/nodenet/nodenet/proxy"
)

// Short local names for the core's frontend types.
type frontend = proxy.Frontend

const (
	clusterIPFrontend    = proxy.ClusterIPFrontend
	externalIPFrontend   = proxy.ExternalIPFrontend
	loadBalancerFrontend = proxy.LoadBalancerFrontend
	nodePortFrontend     = proxy.NodePortFrontend
)

// frontendsOf lists the frontends of sp in this backend's family. As in
// kube-proxy, a Service port belongs to a family only through a ClusterIP
// of that family (spec.clusterIPs follows ipFamilies): a SingleStack IPv4
// Service gets no IPv6 rules at all, not even its NodePort, and an
// external or load-balancer IP of a family the Service has no ClusterIP
// in is ignored. The NodePort of a dual-stack Service answers in both.
func (c *config) frontendsOf(sp *proxy.ServicePort) []frontend {
	if !c.servesFamily(sp) {
		return nil
	}
	var out []frontend
	for _, fe := range sp.Frontends() {
		if fe.Kind == nodePortFrontend || c.family.owns(fe.Addr) {
			out = append(out, fe)
		}
	}
	return out
}

func (c *config) shardOfFrontend(fe frontend) shardID {
	if fe.Kind == nodePortFrontend {
		return shardID{kind: portShard, index: int(fe.Port) / portShardWidth}
	}
	return c.family.shardOf(fe.Addr)
}

// match is the part of a rule that selects the frontend's packets. Only
// the first rule of each frontend carries the comment: at 10k Services a
// comment on all 110k rules costs iptables-restore ~75 MB more memory.
func (c *config) match(fe frontend, comment string) string {
	var b strings.Builder
	if fe.Kind != nodePortFrontend {
		b.WriteString("-d ")
		b.WriteString(c.family.host(fe.Addr))
		b.WriteByte(' ')
	}
	proto := strings.ToLower(string(fe.Protocol))
	b.WriteString("-p " + proto + " -m " + proto + " --dport ")
	b.WriteString(strconv.Itoa(int(fe.Port)))
	if comment != "" {
		b.WriteString(" -m comment --comment ")
		b.WriteString(comment)
	}
	return b.String()
}

// masqueradeMatch says which packets of fe must be masqueraded, or false
// when none. External traffic is always masqueraded (its reply must come
// back through this node); ClusterIP traffic only from outside the cluster
// CIDR, or always with --masquerade-all, as kube-proxy does.
func (c *config) masqueradeMatch(fe frontend) (string, bool) {
	switch {
	case fe.Kind != clusterIPFrontend || c.masqueradeAll:
		return "", true
	case c.clusterCIDR.IsValid():
		return " ! -s " + c.clusterCIDR.String(), true
	}
	return "", false
}

// servesFamily tells whether sp is in this backend's family (a ClusterIP
// of it, also one an older Service's conflict shadows).
func (c *config) servesFamily(sp *proxy.ServicePort) bool { return sp.InFamily(c.family.is4()) }

// targets and localTargets are the core's Cluster and Local policy
// targets among this family's endpoints only: a dual-stack Service port
// has IPv4 and IPv6 EndpointSlices under the same name, and each table may
// only DNAT to its own family's addresses.
func (c *config) targets(t *proxy.Table, name proxy.ServicePortName) []proxy.Endpoint {
	return t.FamilyTargets(name, c.family.is4())
}

func (c *config) localTargets(t *proxy.Table, name proxy.ServicePortName) []proxy.Endpoint {
	return t.FamilyLocalTargets(name, c.family.is4())
}
