package kubeproxyclean

import (
	"slices"
	"strings"
)

// fixedChains are the chains upstream kube-proxy (v1.37, iptables and ipvs
// modes, pkg/proxy/{iptables,ipvs}/proxier.go) creates under fixed names,
// in whichever table it uses them.
//
// Left out on purpose, because they are kubelet's: KUBE-FIREWALL (the
// martian-packet rule kube-proxy only duplicates), KUBE-IPTABLES-HINT,
// KUBE-KUBELET-CANARY, and KUBE-MARK-DROP (kubelet before 1.28).
//
// A slice, not a map: a map literal gives the package an init function,
// which would run in CNI plugin processes before the plugin exits
// (test/cni's TestPluginExitsBeforeAgentInit).
var fixedChains = []string{
	"KUBE-SERVICES",
	"KUBE-EXTERNAL-SERVICES",
	"KUBE-NODEPORTS",
	"KUBE-POSTROUTING",
	"KUBE-MARK-MASQ",
	"KUBE-FORWARD",
	"KUBE-PROXY-FIREWALL",
	"KUBE-PROXY-CANARY",
	// ipvs mode
	"KUBE-SOURCE-RANGES-FIREWALL",
	"KUBE-NODE-PORT",
	"KUBE-LOAD-BALANCER",
	"KUBE-IPVS-FILTER",
	"KUBE-IPVS-OUT-FILTER",
}

// hashedPrefixes start the per-Service and per-endpoint chains (a prefix
// and 16 characters of a hash); KUBE-XLB- is the pre-1.25 name of KUBE-EXT-.
var hashedPrefixes = []string{"KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-", "KUBE-XLB-"}

// ownedChain tells whether chain is one kube-proxy creates.
func ownedChain(chain string) bool {
	if slices.Contains(fixedChains, chain) {
		return true
	}
	for _, p := range hashedPrefixes {
		if strings.HasPrefix(chain, p) {
			return true
		}
	}
	return false
}

// nftTable is the table kube-proxy's nftables mode owns, in the ip and ip6
// families (pkg/proxy/nftables: kubeProxyTable).
const nftTable = "kube-proxy"

// dummyLink is the dummy interface kube-proxy's IPVS mode binds every
// ClusterIP, external IP and load-balancer IP to (pkg/proxy/ipvs:
// defaultDummyDevice), so that the node takes their packets in locally.
const dummyLink = "kube-ipvs0"

// ipvsSets are the ipsets of kube-proxy's IPVS mode (pkg/proxy/ipvs/ipset.go),
// IPv4 names; the IPv6 ones are ipv6SetName of each.
var ipvsSets = []string{
	"KUBE-LOOP-BACK", "KUBE-CLUSTER-IP", "KUBE-EXTERNAL-IP", "KUBE-EXTERNAL-IP-LOCAL",
	"KUBE-LOAD-BALANCER", "KUBE-LOAD-BALANCER-LOCAL", "KUBE-LOAD-BALANCER-FW",
	"KUBE-LOAD-BALANCER-SOURCE-IP", "KUBE-LOAD-BALANCER-SOURCE-CIDR",
	"KUBE-NODE-PORT-TCP", "KUBE-NODE-PORT-LOCAL-TCP", "KUBE-NODE-PORT-UDP", "KUBE-NODE-PORT-LOCAL-UDP",
	"KUBE-NODE-PORT-SCTP-HASH", "KUBE-NODE-PORT-LOCAL-SCTP-HASH",
	"KUBE-HEALTH-CHECK-NODE-PORT", "KUBE-IPVS-IPS",
}

// ipsetNameMax is the kernel's limit on an ipset name (IPSET_MAXNAMELEN
// 32, with the terminating NUL).
const ipsetNameMax = 31

// ipv6SetName is kube-proxy's name for the IPv6 twin of set: "KUBE-"
// becomes "KUBE-6-", cut to ipsetNameMax (KUBE-6-LOAD-BALANCER-SOURCE-CID).
func ipv6SetName(set string) string {
	name := "KUBE-6-" + strings.TrimPrefix(set, "KUBE-")
	return name[:min(len(name), ipsetNameMax)]
}

// ownedSet tells whether name is one of kube-proxy's IPVS-mode ipsets.
// Exact names only: other programs use KUBE- prefixes too (kube-router's
// KUBE-SRC-/KUBE-DST- policy sets).
func ownedSet(name string) bool {
	for _, s := range ipvsSets {
		if name == s || name == ipv6SetName(s) {
			return true
		}
	}
	return false
}
