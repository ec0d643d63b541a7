package iptables

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/nodenet/nodenet/proxy"
)

// Every chain nodenet owns starts with chainPrefix, so `nodenet cleanup`
// can find them all and touches nothing else. iptables limits chain names
// to 28 characters (XT_EXTENSION_MAXNAMELEN 29, including the NUL); the
// longest name built here is "NODENET-REJ-NP-" plus 4 hex digits = 19.
const chainPrefix = "NODENET-"

// Fixed chains, hooked from the built-in chains.
const (
	natServices     = "NODENET-SERVICES"    // nat PREROUTING, OUTPUT: dispatch to address shards
	natNodePorts    = "NODENET-NODEPORTS"   // from natServices for local destinations: port shards
	natPostrouting  = "NODENET-POSTROUTING" // nat POSTROUTING: masquerade marked packets
	natHairpin      = "NODENET-HAIRPIN"     // from natPostrouting: masquerade pod -> own Service -> same pod
	filterServices  = "NODENET-SERVICES"    // filter INPUT, FORWARD, OUTPUT: rejects
	filterNodePorts = "NODENET-NODEPORTS"   // from filterServices for local destinations
	filterForward   = "NODENET-FORWARD"     // filter FORWARD: accept Service traffic
)

// fixedChains are every fixed chain, in both tables.
var fixedChains = []string{natServices, natNodePorts, natPostrouting, natHairpin, filterForward}

const (
	tableNAT    = "nat"
	tableFilter = "filter"
)

// shardID names one shard of the Service table. A shard holds the
// frontends that a single dispatch rule can route to, so a change rewrites
// only its shard chain and never the whole table.
type shardID struct {
	kind  shardKind
	index int // low byte of the destination address, or port / portShardWidth
}

type shardKind byte

const (
	addrShard shardKind = 'A' // ClusterIP, external IP and load-balancer IP frontends
	portShard shardKind = 'P' // NodePort frontends
)

func (s shardID) natChain() string {
	if s.kind == addrShard {
		return fmt.Sprintf("NODENET-SVC-%02X", s.index)
	}
	return fmt.Sprintf("NODENET-NP-%04X", s.index)
}

func (s shardID) filterChain() string {
	if s.kind == addrShard {
		return fmt.Sprintf("NODENET-REJ-%02X", s.index)
	}
	return fmt.Sprintf("NODENET-REJ-NP-%04X", s.index)
}

// Rule comments carry "namespace/name:port/PROTO": at most 63+1+63+1+15+1+4
// = 148 bytes, within xt_comment's 255, because proxy/serviceport.go
// rejects names the API server would reject.

// portShardWidth is how many consecutive ports share a NodePort shard. At
// 10k NodePorts in the default 2768-port range a shard holds ~58 ports,
// small enough that rewriting one costs a few milliseconds.
const portShardWidth = 16

// recentName names the xt_recent list of clients with affinity to ep for
// one Service port (shared by all its frontends, as in kube-proxy). xt_recent
// names may be 200 bytes long; this one is 19.
func recentName(name proxy.ServicePortName, ep proxy.Endpoint) string {
	sum := sha256.Sum256([]byte(name.String() + "|" + ep.AddrPort().String()))
	return "NODENET-" + hex.EncodeToString(sum[:])[:11]
}
