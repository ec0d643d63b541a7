package iptables

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/nodenet/nodenet/proxy"
)

// shardRules is the content of one shard's two chains.
type shardRules struct {
	nat    ruleLines
	filter ruleLines
}

// ruleLines is a chain's rules as they go into the payload: one line
// each, newline-terminated, in one buffer. A full sync at 10k Services
// writes ~100k rules; as strings they were 100k allocations (and as
// many more while each was built), kept until the payload was copied.
type ruleLines struct {
	buf []byte
	n   int
}

func (l *ruleLines) add(rule string) {
	l.buf = append(append(l.buf, rule...), '\n')
	l.n++
}

func (l *ruleLines) reset() { l.buf, l.n = l.buf[:0], 0 }

func (l *ruleLines) clone() ruleLines { return ruleLines{buf: bytes.Clone(l.buf), n: l.n} }

func (l *ruleLines) addAll(rules []string) {
	for _, r := range rules {
		l.add(r)
	}
}

// renderShard writes the rules of every frontend of members that falls in
// shard id. members must be sorted, so the output is deterministic. The
// rules are written into scratch (reused from shard to shard, so its
// buffers grow once per plan, not once per shard) and returned as an
// exact-size copy.
func (c *config) renderShard(id shardID, members []proxy.ServicePortName, t *proxy.Table, scratch *shardRules) shardRules {
	out := scratch
	out.nat.reset()
	out.filter.reset()
	for _, name := range members {
		sp := t.Services[name]
		if sp == nil {
			continue
		}
		comment := strconv.Quote(name.String())
		all, local := c.targets(t, name), []proxy.Endpoint(nil)
		if sp.ExternalPolicyLocal || sp.InternalPolicyLocal {
			local = c.localTargets(t, name)
		}
		for _, fe := range c.frontendsOf(sp) {
			if c.shardOfFrontend(fe) == id {
				c.renderFrontend(out, id, fe, comment, sp, all, local)
			}
		}
	}
	return shardRules{nat: out.nat.clone(), filter: out.filter.clone()}
}

// renderFrontend writes one frontend's rules; all and local are the
// Cluster and Local policy's targets (local is only needed under a Local
// policy). As in kube-proxy, a Service without any usable endpoint is
// rejected, while one whose Local policy finds no endpoint on this node
// has its traffic dropped ("has no local endpoints"): the client should
// retry through another node.
func (c *config) renderFrontend(out *shardRules, id shardID, fe frontend, comment string, sp *proxy.ServicePort, all, local []proxy.Endpoint) {
	ranges, restricted := c.sourceRangesOf(fe, sp)
	if len(all) == 0 {
		out.filter.addAll(c.rejectRules(id, fe, comment, ranges, restricted))
		return
	}
	groups := c.natGroups(fe, sp, all, local)
	if restricted {
		groups = restrictSources(groups, ranges)
	}
	if groups.dropRest {
		out.filter.add(c.filterRule(id, fe, comment, "DROP"))
	}
	for _, g := range groups.list {
		c.appendNATRules(&out.nat, id, fe, comment, sp, g)
		comment = ""
	}
}

func (c *config) filterRule(id shardID, fe frontend, comment, target string) string {
	return "-A " + id.filterChain() + " " + c.match(fe, comment) + " -j " + target
}

// appendNATRules marks group g's packets for masquerade where needed,
// sends clients with affinity back to their endpoint, then spreads new
// connections at random over g's targets: rule i of n matches with
// probability 1/(n-i), so each target gets 1/n (kube-proxy's scheme).
// Every rule carries g's source match, so a packet outside it falls
// through to the next group. The DNAT rules, nearly all of a full sync's,
// are appended to out byte by byte, without a string of their own.
func (c *config) appendNATRules(out *ruleLines, id shardID, fe frontend, comment string, sp *proxy.ServicePort, g natGroup) {
	chain := "-A " + id.natChain() + " "
	first, rest := chain+c.match(fe, comment)+g.sourceMatch(), chain+c.match(fe, "")+g.sourceMatch()
	if g.masq {
		out.add(first + g.masqMatch + " -j MARK --or-mark " + c.masqMark)
		first = rest
	}
	if sp.StickyMaxAgeSeconds > 0 {
		for _, ep := range g.targets {
			out.add(first + stickyCheck(sp, ep) + dnatTo(ep))
			first = rest
		}
	}
	n := len(g.targets)
	for i, ep := range g.targets {
		b := append(out.buf, first...)
		first = rest
		if left := n - i; left > 1 {
			b = append(b, " -m statistic --mode random --probability "...)
			b = strconv.AppendFloat(b, 1.0/float64(left), 'f', 10, 64)
		}
		if sp.StickyMaxAgeSeconds > 0 {
			b = append(b, " -m recent --name "+recentName(sp.Name, ep)+" --set --rsource"...)
		}
		b = append(b, dnatPrefix...)
		b = ep.AddrPort().AppendTo(b)
		out.buf = append(b, '\n')
		out.n++
	}
}

const dnatPrefix = " -j DNAT --to-destination "

func dnatTo(ep proxy.Endpoint) string { return dnatPrefix + ep.AddrPort().String() }

// stickyCheck matches a client seen at ep within the affinity timeout and
// refreshes its timestamp (--update), so the timeout counts idle time, as
// kube-proxy's --set on every connection through the endpoint chain does.
// xt_recent keeps one list per name (100 addresses by default, the
// module's ip_list_tot), the same limit kube-proxy's affinity has.
func stickyCheck(sp *proxy.ServicePort, ep proxy.Endpoint) string {
	return fmt.Sprintf(" -m recent --name %s --update --seconds %d --reap --rsource", recentName(sp.Name, ep), sp.StickyMaxAgeSeconds)
}
