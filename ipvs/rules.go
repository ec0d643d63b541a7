package ipvs

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// Rules is the small fixed set of iptables rules, and the ipsets they
// match, for what IPVS cannot do itself, as kube-proxy's IPVS mode has:
// masquerade (by destination set and source), hairpin, and
// loadBalancerSourceRanges. Real: NewRules (ipset restore +
// iptables-restore); fake: ipvstest.Rules.
type Rules interface {
	// Apply makes the sets hold exactly spec's members and the chains
	// exactly spec's rules, and hooks the chains in. prev, when not nil,
	// is what the kernel has from the last Apply: only what differs from
	// it is rewritten (a changed endpoint costs one set, not all).
	Apply(spec, prev *RuleSpec) error
	// Cleanup removes the hooks, chains and sets; nothing there is fine.
	Cleanup() error
}

// RuleSpec is everything the rules depend on.
type RuleSpec struct {
	IPv6 bool
	// Sets maps each set kind to its members in ipset syntax
	// ("10.96.0.1,tcp:80"), sorted.
	Sets map[SetKind][]string
	// ClusterCIDRs: traffic from elsewhere to a ClusterIP is masqueraded
	// (none: ClusterIP traffic is not, unless MasqueradeAll).
	ClusterCIDRs  []netip.Prefix
	MasqueradeAll bool
	// MasqueradeMark is the fwmark bit that asks for masquerade.
	MasqueradeMark uint32
}

// SetKind names one of the ipsets.
type SetKind string

// The sets, with their ipset types.
const (
	// SetClusterIP: ClusterIP,proto:port of every virtual server on a ClusterIP.
	SetClusterIP SetKind = "CLUSTER-IP"
	// SetExternal: the external frontends that masquerade (NodePorts per
	// node address, external and load-balancer IPs, all with
	// externalTrafficPolicy Cluster).
	SetExternal SetKind = "EXTERNAL"
	// SetLoopBack: endpoint,proto:port,endpoint, for hairpin (a pod
	// reaching itself through its Service must see another source).
	SetLoopBack SetKind = "LOOP-BACK"
	// SetSourceLimited: load-balancer IP,proto:port with source ranges.
	SetSourceLimited SetKind = "LB-FW"
	// SetSourceAllowed: load-balancer IP,proto:port,allowed range.
	SetSourceAllowed SetKind = "LB-SRC"
)

// SetKinds lists every set, in rendering order.
var SetKinds = []SetKind{SetClusterIP, SetExternal, SetLoopBack, SetSourceLimited, SetSourceAllowed}

// SetType is the ipset type of kind.
func SetType(kind SetKind) string {
	switch kind {
	case SetLoopBack:
		return "hash:ip,port,ip"
	case SetSourceAllowed:
		return "hash:ip,port,net"
	}
	return "hash:ip,port"
}

// SetName is the ipset's name for a family; at most 31 bytes
// (IPSET_MAXNAMELEN-1): the longest is "NODENET-IPVS6-CLUSTER-IP-T".
func SetName(kind SetKind, ipv6 bool) string {
	if ipv6 {
		return "NODENET-IPVS6-" + string(kind)
	}
	return "NODENET-IPVS-" + string(kind)
}

// The chains, hooked from the built-in chains named in Hooks.
const (
	ChainServices    = "NODENET-IPVS-SERVICES"
	ChainPostrouting = "NODENET-IPVS-POSTROUTING"
	ChainFirewall    = "NODENET-IPVS-FIREWALL"
)

// Hook is one jump from a built-in chain to one of ours.
type Hook struct{ Table, Chain, Target string }

// Hooks are the jumps into our chains. The firewall chain is in filter
// INPUT: IPVS takes packets at LOCAL_IN after filter (priority 0 < IPVS's
// NF_IP_PRI_NAT_SRC-2), so a dropped client never reaches the scheduler.
var Hooks = []Hook{
	{"nat", "PREROUTING", ChainServices},
	{"nat", "OUTPUT", ChainServices},
	{"nat", "POSTROUTING", ChainPostrouting},
	{"filter", "INPUT", ChainFirewall},
}

// HookComment marks the jumps into our chains.
const HookComment = "nodenet ipvs"

// HookRule is h's rule as iptables-save prints it.
func (h Hook) HookRule() string {
	return fmt.Sprintf("-A %s -m comment --comment %q -j %s", h.Chain, HookComment, h.Target)
}

// MissingHooks returns the hooks absent from an iptables-save listing.
func MissingHooks(saved string) []Hook {
	var out []Hook
	for _, h := range Hooks {
		if !strings.Contains(saved, h.HookRule()+"\n") {
			out = append(out, h)
		}
	}
	return out
}

// Render returns spec's chains in iptables-restore form (to be applied
// with --noflush: only our chains are flushed), inserting the hooks
// named missing at the top of their built-in chains.
func (s *RuleSpec) Render(missing ...Hook) string {
	var b strings.Builder
	mark := fmt.Sprintf("0x%x", s.MasqueradeMark)
	set := func(k SetKind) string { return SetName(k, s.IPv6) }
	b.WriteString("*nat\n:" + ChainServices + " - [0:0]\n:" + ChainPostrouting + " - [0:0]\n")
	markRule := "-j MARK --or-mark " + mark
	switch {
	case s.MasqueradeAll:
		fmt.Fprintf(&b, "-A %s -m set --match-set %s dst,dst %s\n", ChainServices, set(SetClusterIP), markRule)
	default:
		for _, cidr := range s.ClusterCIDRs {
			fmt.Fprintf(&b, "-A %s -m set --match-set %s dst,dst ! -s %s %s\n", ChainServices, set(SetClusterIP), cidr, markRule)
		}
	}
	fmt.Fprintf(&b, "-A %s -m set --match-set %s dst,dst %s\n", ChainServices, set(SetExternal), markRule)
	fmt.Fprintf(&b, "-A %s -m set --match-set %s dst,dst,src -j MASQUERADE\n", ChainPostrouting, set(SetLoopBack))
	fmt.Fprintf(&b, "-A %s -m mark --mark %s/%s -j MASQUERADE\n", ChainPostrouting, mark, mark)
	writeHooks(&b, "nat", missing)
	b.WriteString("COMMIT\n*filter\n:" + ChainFirewall + " - [0:0]\n")
	fmt.Fprintf(&b, "-A %s -m set --match-set %s dst,dst -m set ! --match-set %s dst,dst,src -j DROP\n",
		ChainFirewall, set(SetSourceLimited), set(SetSourceAllowed))
	writeHooks(&b, "filter", missing)
	b.WriteString("COMMIT\n")
	return b.String()
}

func writeHooks(b *strings.Builder, table string, hooks []Hook) {
	for _, h := range hooks {
		if h.Table == table {
			fmt.Fprintf(b, "-I %s 1 -m comment --comment %q -j %s\n", h.Chain, HookComment, h.Target)
		}
	}
}

// RenderSets returns `ipset restore` input that gives every set whose
// members differ from prev's (all when prev is nil) exactly its members,
// without a moment empty: each is filled as a temporary set and swapped in.
func (s *RuleSpec) RenderSets(prev *RuleSpec) string {
	family := "inet"
	if s.IPv6 {
		family = "inet6"
	}
	var b strings.Builder
	for _, kind := range SetKinds {
		if prev != nil && slices.Equal(prev.Sets[kind], s.Sets[kind]) {
			continue
		}
		name, tmp := SetName(kind, s.IPv6), SetName(kind, s.IPv6)+"-T"
		for _, n := range []string{name, tmp} {
			fmt.Fprintf(&b, "create %s %s family %s\n", n, SetType(kind), family)
		}
		fmt.Fprintf(&b, "flush %s\n", tmp)
		for _, m := range s.Sets[kind] {
			fmt.Fprintf(&b, "add %s %s\n", tmp, m)
		}
		fmt.Fprintf(&b, "swap %s %s\ndestroy %s\n", tmp, name, tmp)
	}
	return b.String()
}

// Equal tells whether two specs give the same kernel state.
func (s *RuleSpec) Equal(o *RuleSpec) bool {
	if !s.SameChains(o) {
		return false
	}
	for _, k := range SetKinds {
		if !slices.Equal(s.Sets[k], o.Sets[k]) {
			return false
		}
	}
	return true
}

// union is s with o's set members added (o's chains are s's).
func (s *RuleSpec) union(o *RuleSpec) *RuleSpec {
	out := *s
	out.Sets = map[SetKind][]string{}
	for _, k := range SetKinds {
		m := append(slices.Clone(s.Sets[k]), o.Sets[k]...)
		slices.Sort(m)
		out.Sets[k] = slices.Compact(m)
	}
	return &out
}

// SameChains tells whether two specs render the same chains (sets aside).
func (s *RuleSpec) SameChains(o *RuleSpec) bool {
	return o != nil && s.IPv6 == o.IPv6 && s.MasqueradeAll == o.MasqueradeAll &&
		s.MasqueradeMark == o.MasqueradeMark && slices.Equal(s.ClusterCIDRs, o.ClusterCIDRs)
}

// member formats an ipset member "addr,proto:port" (IPv6 without brackets).
func member(a netip.Addr, proto v1.Protocol, port uint16) string {
	return fmt.Sprintf("%s,%s:%d", a, strings.ToLower(string(proto)), port)
}
