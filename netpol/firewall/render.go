package firewall

import (
	"fmt"
	"net/netip"

	"github.com/nodenet/nodenet/netpol"
)

// ruleset is one family's chains: name → rule specs (what follows
// "-A NAME" in iptables-restore input), in order.
type ruleset map[string][]string

// desired is what a Sync wants in the kernel.
type desired struct {
	chains map[bool]ruleset // by ipv6
	sets   map[string]*setSpec
	guard  *guardSpec // the guard table (guardtable.go); nil: none
}

// render computes the chains of every enforced family and the sets they
// match on. It is pure: same Model, same output.
func render(m *netpol.Model, opts Options, families []bool, ports map[netip.Addr]string) *desired {
	d := &desired{chains: map[bool]ruleset{}, sets: map[string]*setSpec{}}
	for _, ipv6 := range families {
		r := &renderer{m: m, opts: opts, ipv6: ipv6, ports: ports}
		d.chains[ipv6] = r.chains()
		r.addSets(d.sets)
	}
	return d
}

// renderer renders one family.
type renderer struct {
	m     *netpol.Model
	opts  Options
	ipv6  bool
	ports map[netip.Addr]string // pod address → bridge port
}

func (r *renderer) owns(a netip.Addr) bool { return a.Is6() == r.ipv6 }

func (r *renderer) host(a netip.Addr) string { return hostPrefix(a).String() }

func (r *renderer) chains() ruleset {
	rs := ruleset{topChain: r.top(), egressChain: nil, ingressChain: nil, groupChain: nil}
	for _, pod := range r.m.SortedLocalPods() {
		for _, d := range []netpol.Direction{netpol.Egress, netpol.Ingress} {
			r.addPod(rs, pod, d)
		}
	}
	if len(rs[groupChain]) > 0 {
		rs[ingressChain] = append(r.groupDispatch(), rs[ingressChain]...)
	}
	return rs
}

// top is the hooked chain: return traffic of allowed connections first
// (cheapest, most packets), then the unknown-pod gate, then both
// directions' dispatch. It never ACCEPTs, so it only narrows what the
// rest of FORWARD decides.
func (r *renderer) top() []string {
	lines := []string{"-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"}
	lines = append(lines, r.neighbourDiscovery()...)
	lines = append(lines, r.gate()...)
	return append(lines, r.guarded()...)
}

// ndpTypes are the ICMPv6 types of neighbour discovery (neighbour
// solicitation and advertisement): IPv6's ARP. Bridged between pods they
// pass FORWARD (br_netfilter) untracked, so without this a pod isolated
// for ingress would reject its neighbours' advertisements and lose IPv6
// to every pod, allowed or not. NetworkPolicy governs connections, not
// address resolution.
var ndpTypes = []int{135, 136}

// routerTypes are router advertisement and redirect. The router is the
// node, whose own messages do not cross FORWARD; from a pod they are an
// attack: an advertisement makes its neighbours autoconfigure addresses
// outside every pod range, on which no chain or gate applies. They are
// rejected only while a policy exists, like everything else here: with
// none, the spec says nothing is filtered, and FORWARD may also carry
// other bridges' traffic (VMs, docker0) that nodenet must not judge. An
// address autoconfigured before the first policy therefore outlives it
// (its lifetime; the README says so). Router solicitations (133) are
// harmless and left alone.
var routerTypes = []int{134, 137}

func (r *renderer) neighbourDiscovery() []string {
	if !r.ipv6 {
		return nil
	}
	var lines []string
	for _, t := range ndpTypes {
		lines = append(lines, fmt.Sprintf("-p ipv6-icmp -m icmp6 --icmpv6-type %d -j RETURN", t))
	}
	return lines
}

func (r *renderer) routerMessages() []string {
	var lines []string
	for _, t := range routerTypes {
		match := fmt.Sprintf("-p ipv6-icmp -m icmp6 --icmpv6-type %d", t)
		lines = append(lines, r.deny(match, fmt.Sprintf("nodenet deny icmpv6 type %d from a pod", t))...)
	}
	return lines
}

// linkLocal is fe80::/10. Every pod on the bridge has such an address
// besides its pod IPs (even in an IPv4-only cluster), and no pod chain
// dispatches on it, so a pod could reach any other over it, policy or
// not: bridged traffic crosses FORWARD, while routed traffic never
// carries these addresses. Rejecting them as destinations is enough to
// stop connections (a reply to a link-local source is one); sources are
// left alone, as router solicitations and multicast listener reports,
// sent from them to multicast groups by every pod, would fill the log.
var linkLocal = netip.MustParsePrefix("fe80::/10")

// gate rejects addresses of this node's pod ranges that belong to no
// known local pod (nor the node), while any policy exists: a pod that
// started before the agent learnt of it would otherwise be unfiltered.
// Link-local destinations are as unknown (neighbour discovery, which
// uses them, has returned before).
func (r *renderer) gate() []string {
	if r.m.PolicyCount == 0 {
		return nil
	}
	var lines []string
	if r.ipv6 {
		lines = append(lines, r.routerMessages()...)
		lines = append(lines, r.deny("-d "+linkLocal.String(), "nodenet deny link-local dst")...)
	}
	for _, cidr := range r.m.PodCIDRs {
		if !r.owns(cidr.Addr()) {
			continue
		}
		for _, side := range []struct{ flag, dir string }{{"-s", "src"}, {"-d", "dst"}} {
			match := fmt.Sprintf("%s %s -m set ! --match-set %s %s", side.flag, cidr.Masked(), knownSetOf(r.ipv6), side.dir)
			lines = append(lines, r.deny(match, "nodenet deny unknown pod "+side.dir)...)
		}
	}
	return lines
}

// deny is the optional log line and the REJECT line for match. REJECT
// with admin-prohibited makes a denied client fail at once instead of
// timing out.
func (r *renderer) deny(match, prefix string) []string {
	with := rejectV4
	if r.ipv6 {
		with = rejectV6
	}
	var lines []string
	if r.opts.LogDrops {
		lines = append(lines, join(match, fmt.Sprintf(`-m limit --limit 10/second --limit-burst 20 -j NFLOG --nflog-group %d --nflog-prefix "%s"`,
			r.opts.logGroup(), logPrefix(prefix))))
	}
	return append(lines, join(match, "-j REJECT --reject-with "+with))
}

// addPod adds the chain of one isolated direction of a pod and its
// dispatch rules. A pod that is not isolated, or has no address of this
// family, gets nothing.
func (r *renderer) addPod(rs ruleset, pod *netpol.PodRules, d netpol.Direction) {
	if !pod.Direction(d).Isolated {
		return
	}
	var addrs []netip.Addr
	for _, a := range pod.IPs {
		if r.owns(a) {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return
	}
	chain := podChain(pod.Pod, d)
	rs[chain] = r.podRules(pod, d)
	dispatch, flag := ingressChain, "-d"
	if d == netpol.Egress {
		dispatch, flag = egressChain, "-s"
	}
	for _, a := range addrs {
		rs[dispatch] = append(rs[dispatch], fmt.Sprintf("%s %s -j %s", flag, r.host(a), chain))
	}
	if port := r.portOf(pod); d == netpol.Ingress && port != "" {
		rs[groupChain] = append(rs[groupChain], fmt.Sprintf("-m physdev --physdev-out %s -j %s", port, chain))
	}
}

func join(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += " "
		}
		out += p
	}
	return out
}
