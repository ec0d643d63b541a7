package iptables

import (
	"net/netip"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxy"
)

type frontendKind int

const (
	clusterIPFrontend frontendKind = iota
	externalIPFrontend
	loadBalancerFrontend
	nodePortFrontend
)

// frontend is one (address, protocol, port) a Service port answers on.
// addr is unset for NodePorts, which answer on the node's addresses.
type frontend struct {
	kind  frontendKind
	addr  netip.Addr
	port  int32
	proto v1.Protocol
}

// frontendsOf lists the frontends of sp in this backend's family, in a
// fixed order so that rendering is deterministic.
func (c *config) frontendsOf(sp *proxy.ServicePort) []frontend {
	var out []frontend
	add := func(kind frontendKind, addrs []netip.Addr) {
		for _, a := range addrs {
			if c.family.owns(a) {
				out = append(out, frontend{kind: kind, addr: a, port: sp.Port, proto: sp.Protocol})
			}
		}
	}
	add(clusterIPFrontend, sp.ClusterIPs)
	add(externalIPFrontend, sp.ExternalIPs)
	add(loadBalancerFrontend, sp.LoadBalancerIPs)
	if sp.NodePort > 0 {
		out = append(out, frontend{kind: nodePortFrontend, port: sp.NodePort, proto: sp.Protocol})
	}
	return out
}

func (c *config) shardOfFrontend(fe frontend) shardID {
	if fe.kind == nodePortFrontend {
		return shardID{kind: portShard, index: int(fe.port) / portShardWidth}
	}
	return c.family.shardOf(fe.addr)
}

// match is the part of a rule that selects the frontend's packets. Only
// the first rule of each frontend carries the comment: at 10k Services a
// comment on all 110k rules costs iptables-restore ~75 MB more memory.
func (c *config) match(fe frontend, comment string) string {
	var b strings.Builder
	if fe.kind != nodePortFrontend {
		b.WriteString("-d ")
		b.WriteString(c.family.host(fe.addr))
		b.WriteByte(' ')
	}
	proto := strings.ToLower(string(fe.proto))
	b.WriteString("-p " + proto + " -m " + proto + " --dport ")
	b.WriteString(strconv.Itoa(int(fe.port)))
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
	case fe.kind != clusterIPFrontend || c.masqueradeAll:
		return "", true
	case c.clusterCIDR.IsValid():
		return " ! -s " + c.clusterCIDR.String(), true
	}
	return "", false
}
