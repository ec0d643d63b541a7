package cni

// Names of the shared masquerade objects of one network (see masqset.go).
// All are deterministic in the network name, so every plugin process of a
// network agrees on them without state.
//
// The chain is "NODENET-MASQ-" + 15 hex = 28 bytes (MaxChainLen). It keeps
// the NODENET- prefix of nodenet's chains but none of the agent's names
// (iptables/names.go: the fixed chains, NODENET-SVC-/NP-/REJ- shards), so
// `nodenet cleanup` (iptables.isAgentChain) leaves it alone; nor the
// firewall's NODENET-FW prefix.
//
// The sets are "NODENET-MASQ4-"/"NODENET-NETS4-" + the same 15 hex (and 6
// for IPv6) = 29 bytes, within ipset's 31 (IPSET_MAXNAMELEN 32 with the
// NUL), and away from the firewall's NNP- sets. ipsets are per family and
// share one namespace, hence the family digit; the chain lives in iptables
// or ip6tables and needs none.

// maxSetNameLen is the longest ipset name the kernel accepts.
const maxSetNameLen = 31

const (
	masqChainPrefix = chainPrefix + "MASQ-"
	masqSetPrefix   = chainPrefix + "MASQ"
	netsSetPrefix   = chainPrefix + "NETS"
)

// networkHash is the per-network part of the shared names.
func networkHash(network string) string {
	return hashHex("masq", network)[:MaxChainLen-len(masqChainPrefix)]
}

// sharedMasqChain is the network's masquerade chain (one per family table).
func sharedMasqChain(network string) string {
	return masqChainPrefix + networkHash(network)
}

// podSetName is the hash:ip set of the network's pod addresses in family f:
// the sources POSTROUTING sends to the shared chain.
func podSetName(network string, f ipFamily) string {
	return masqSetPrefix + f.digit + "-" + networkHash(network)
}

// netsSetName is the hash:net set of the network's pod subnets in family f:
// destinations the shared chain does not masquerade.
func netsSetName(network string, f ipFamily) string {
	return netsSetPrefix + f.digit + "-" + networkHash(network)
}
