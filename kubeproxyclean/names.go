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
