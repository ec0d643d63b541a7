package firewall

import (
	"crypto/sha256"
	"encoding/base32"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/internal/forwardorder"
	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/firewall/setkernel"
)

// Chain names. iptables limits them to 28 characters
// (XT_EXTENSION_MAXNAMELEN 29 with the NUL); the longest built here is a
// pod chain, "NODENET-FW-I-" + 12 base32 characters = 25. They never look
// like the proxy's chains (iptables/names.go: NODENET-SVC-xx, NODENET-NP-,
// NODENET-REJ-, fixed names) nor the CNI plugin's (NODENET-MASQ- + hex):
// "NODENET-FW" is neither "NODENET-MASQ-" nor any of the proxy's names.
const (
	chainPrefix   = "NODENET-FW"               // every chain of the firewall starts with it
	topChain      = forwardorder.FirewallChain // hooked first in filter FORWARD
	egressChain   = "NODENET-FW-EGRESS"        // dispatch on the source pod
	ingressChain  = "NODENET-FW-INGRESS"       // dispatch on the destination pod
	groupChain    = "NODENET-FW-GROUP"         // broadcast/multicast: dispatch on the bridge port
	podChainStem  = "NODENET-FW-"              // + "I-"/"E-" + pod hash
	podHashLength = 12                         // base32 characters: 60 bits
	maxChainName  = 28
)

// Set names. ipset limits them to 31 characters (IPSET_MAXNAMELEN 32).
// Peer sets are netpol's Peer.Name (20 characters) plus a suffix: the
// longest is Peer.Name + "-X-6" = 24. Except sets get their own suffix so
// that a peer that changes kind (pods ↔ ipBlock) never finds a set of the
// other type under its name.
const (
	setPrefix     = "NNP-"         // every set of the firewall starts with it
	knownSet      = "NNP-FW-KNOWN" // local pod IPs + node IPs, for the unknown-pod gate
	isoInSet      = "NNP-FW-ISO-I" // local pods isolated for ingress: the guard (guard.go)
	isoOutSet     = "NNP-FW-ISO-E" // local pods isolated for egress
	v6Suffix      = "-6"
	exceptSuffix  = "-X"
	maxSetName    = setkernel.MaxName
	filterTable   = "filter"
	forwardChain  = "FORWARD"
	hookComment   = "nodenet network policy"
	rejectV4      = "icmp-admin-prohibited"
	rejectV6      = "icmp6-adm-prohibited"
	defaultNFLOGG = 100
)

// hookSpec is the rule that sends forwarded traffic into the firewall.
var hookSpec = []string{"-m", "comment", "--comment", hookComment, "-j", topChain}

// hookLine is hookSpec as iptables -S prints it.
const hookLine = `-A FORWARD -m comment --comment "` + hookComment + `" -j ` + topChain

// podChain names the chain of one local pod's direction: a hash of its
// namespace/name, so that it is stable and at most 25 characters.
func podChain(pod types.NamespacedName, d netpol.Direction) string {
	sum := sha256.Sum256([]byte(pod.String()))
	hash := base32.StdEncoding.EncodeToString(sum[:])[:podHashLength]
	if d == netpol.Egress {
		return podChainStem + "E-" + hash
	}
	return podChainStem + "I-" + hash
}

// peerSet names a pod peer's set of one family.
func peerSet(p *netpol.Peer, ipv6 bool) string { return familyName(p.Name, ipv6) }

// exceptSet names an ipBlock peer's set of exceptions (of the CIDR's family).
func exceptSet(p *netpol.Peer, ipv6 bool) string { return familyName(p.Name+exceptSuffix, ipv6) }

func knownSetOf(ipv6 bool) string { return familyName(knownSet, ipv6) }

// guardSetOf names the set of the pods isolated in direction d.
func guardSetOf(d netpol.Direction, ipv6 bool) string {
	if d == netpol.Egress {
		return familyName(isoOutSet, ipv6)
	}
	return familyName(isoInSet, ipv6)
}

// narrowsOnAdd tells whether adding a member to set name allows less: an
// ipBlock's except set (matched with "!") and the guard's sets (a member
// is rejected unless its chain allowed). Their additions go before the
// restore, their deletions after it (setPlan).
func narrowsOnAdd(name string) bool {
	base := strings.TrimSuffix(name, v6Suffix)
	return isExceptSet(name) || base == isoInSet || base == isoOutSet
}

// isExceptSet tells whether name is an ipBlock's except set (of either
// family), the only sets matched with "!" whose members narrow.
func isExceptSet(name string) bool {
	return strings.HasSuffix(strings.TrimSuffix(name, v6Suffix), exceptSuffix)
}

func familyName(base string, ipv6 bool) string {
	if ipv6 {
		return base + v6Suffix
	}
	return base
}

// isOwnChain tells whether chain belongs to the firewall.
func isOwnChain(chain string) bool {
	return chain == topChain || strings.HasPrefix(chain, chainPrefix+"-")
}

// ownSetName matches the names of the sets built here and nothing else:
// the known sets, and a peer's name (netpol's "NNP-" + 16 base32
// characters) with its suffixes. The prefix alone is too short: another
// tool's "NNP-…" set would be destroyed by a full sync, or, used by its
// rules, make every full sync fail.
var ownSetName = regexp.MustCompile(`^` + setPrefix + `(FW-KNOWN|FW-ISO-[IE]|[A-Z2-7]{16}(` + exceptSuffix + `)?)(` + v6Suffix + `)?$`)

// isOwnSet tells whether set belongs to the firewall.
func isOwnSet(name string) bool { return ownSetName.MatchString(name) }
