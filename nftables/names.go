package nftables

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"

	"github.com/nodenet/nodenet/proxy"
)

// TableName is nodenet's table in each family (ip and ip6). kube-proxy's
// are named "kube-proxy"; nodenet never touches them.
const TableName = "nodenet"

// Fixed chains. Base chains carry their hook in the name.
const (
	chainNATPrerouting        = "nat-prerouting"
	chainNATOutput            = "nat-output"
	chainNATPostrouting       = "nat-postrouting"
	chainFilterPrerouting     = "filter-prerouting"
	chainFilterInput          = "filter-input"
	chainFilterForward        = "filter-forward"
	chainFilterOutput         = "filter-output"
	chainFilterOutputPostDNAT = "filter-output-post-dnat"

	chainServices        = "services"
	chainMasquerading    = "masquerading"
	chainMarkForMasq     = "mark-for-masquerade"
	chainFirewallCheck   = "firewall-check"
	chainEndpointsCheck  = "service-endpoints-check"
	chainClusterIPsCheck = "cluster-ips-check"
	chainReject          = "reject-chain"
)

// Maps and sets of the table.
const (
	mapServiceIPs          = "service-ips"           // daddr . proto . port : verdict
	mapServiceNodePorts    = "service-nodeports"     // proto . port : verdict
	mapNoEndpointServices  = "no-endpoint-services"  // daddr . proto . port : verdict
	mapNoEndpointNodePorts = "no-endpoint-nodeports" // proto . port : verdict
	mapFirewallIPs         = "firewall-ips"          // daddr . proto . port : verdict
	setClusterIPs          = "cluster-ips"           // live ClusterIPs
	setHairpin             = "hairpin"               // local endpoint . itself
	setNodePortAddrs       = "nodeport-addrs"        // --nodeport-addresses (interval)
)

// Per-Service-port object prefixes. A name is prefix + "-" + base, where
// base is 8 base32 characters of a SHA-256 of the service port's name,
// then that name as namespace/name/protocol/port so `nft list` reads by
// Service (kube-proxy's scheme). Namespace and name are at most 63
// characters each, the port name 15, so a name is at most
// 3+1+8+1+63+1+63+1+4+1+15 = 161 characters, within the kernel's
// NFT_NAME_MAXLEN (256 with the NUL); maxNameLen cuts anything longer.
const (
	prefixService  = "svc" // ClusterIP entry: masquerade check, then selection
	prefixExternal = "ext" // NodePort, LB and external IP entry
	prefixCluster  = "clu" // all targets, when svc selects local ones only
	prefixLocal    = "loc" // local targets (traffic policy Local)
	prefixFirewall = "fw"  // loadBalancerSourceRanges
	// Affinity objects are per (service port, endpoint, timeout):
	// "aff-" / "aep-" + 16 base32 characters, 20 in all.
	prefixAffinitySet   = "aff"
	prefixAffinityChain = "aep"
	maxNameLen          = 255
)

var nameEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func hashOf(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return nameEncoding.EncodeToString(sum[:])[:n]
}

// serviceBase is the per-service-port part of object names.
func serviceBase(n proxy.ServicePortName) string {
	readable := n.Namespace + "/" + n.Name + "/" + strings.ToLower(string(n.Protocol)) + "/" + n.Port
	return hashOf(n.String(), 8) + "-" + readable
}

func serviceObject(prefix string, n proxy.ServicePortName) string {
	name := prefix + "-" + serviceBase(n)
	if len(name) > maxNameLen {
		name = name[:maxNameLen]
	}
	return name
}

// affinityBase names the timed set (and chain) of one endpoint of a
// sticky service port. The timeout is part of it: nft cannot change a
// set's timeout, so a new timeout makes a new set.
func affinityBase(n proxy.ServicePortName, ep proxy.Endpoint, timeout int32) string {
	return hashOf(n.String()+"|"+ep.AddrPort().String()+"|"+itoa(int(timeout)), 16)
}

// isServiceObject tells whether a chain or set name is one nodenet makes
// per Service port (as opposed to the fixed ones).
func isServiceObject(name string) bool {
	for _, p := range []string{prefixService, prefixExternal, prefixCluster, prefixLocal, prefixFirewall, prefixAffinitySet, prefixAffinityChain} {
		if strings.HasPrefix(name, p+"-") {
			return true
		}
	}
	return false
}
