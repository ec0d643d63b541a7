package iptables

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// hook is a jump from a built-in chain into nodenet's chains.
type hook struct {
	table, chain string
	rule         []string
}

// spec renders the rule as iptables-save and iptables-restore write it.
func (h hook) spec() string {
	parts := make([]string, len(h.rule))
	for i, p := range h.rule {
		if strings.ContainsRune(p, ' ') {
			p = strconv.Quote(p)
		}
		parts[i] = p
	}
	return strings.Join(parts, " ")
}

func hooks() []hook {
	svc := []string{"-m", "comment", "--comment", "nodenet service portals", "-j", natServices}
	rej := []string{"-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "nodenet service rejects", "-j", filterServices}
	return []hook{
		{tableNAT, "PREROUTING", svc},
		{tableNAT, "OUTPUT", svc},
		{tableNAT, "POSTROUTING", []string{"-m", "comment", "--comment", "nodenet masquerade", "-j", natPostrouting}},
		{tableFilter, "INPUT", rej},
		{tableFilter, "FORWARD", rej},
		{tableFilter, "OUTPUT", rej},
		{tableFilter, "FORWARD", []string{"-m", "comment", "--comment", "nodenet forward", "-j", filterForward}},
	}
}

// staticNAT are the rules that do not depend on Services.
func (c *config) staticNAT() []string {
	m := c.masqMark
	return []string{
		"-A " + natPostrouting + " -j " + natHairpin,
		"-A " + natPostrouting + " -m mark ! --mark " + m + "/" + m + " -j RETURN",
		// Clear the bit so a packet that is routed through again (as hairpin
		// traffic is) is not masqueraded twice.
		"-A " + natPostrouting + " -j MARK --xor-mark " + m,
		"-A " + natPostrouting + " -j MASQUERADE --random-fully",
	}
}

// staticFilter accepts Service traffic in FORWARD, so NodePorts and
// ClusterIPs keep working on nodes whose FORWARD policy is DROP.
func (c *config) staticFilter() []string {
	m := c.masqMark
	return []string{
		c.invalidDrop(),
		"-A " + filterForward + " -m mark --mark " + m + "/" + m + " -j ACCEPT",
		"-A " + filterForward + " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
	}
}

// nodePortJumps send packets for local addresses to the NodePort chain,
// as package nodeport selects them: every local address but loopback by
// default (localhost NodePorts need route_localnet, CVE-2020-8558), or
// those in --nodeport-addresses, or the node's primary IPs, nowhere while
// they are unknown. The LOCAL match keeps an address the node no longer
// holds from capturing forwarded traffic.
func (c *config) nodePortJumps(from, to string) []string {
	r := c.nodePorts.Rules(c.primaryIPs, c.family.is4())
	if r.AllLocal {
		return []string{"-A " + from + " -m addrtype --dst-type LOCAL ! -d " + r.Except.String() + " -j " + to}
	}
	var out []string
	for _, p := range r.Prefixes {
		out = append(out, "-A "+from+" -d "+p.String()+" -m addrtype --dst-type LOCAL -j "+to)
	}
	return out
}

// dispatch renders the rules that route packets from a fixed chain to the
// shard chains that exist; chainOf picks the nat or filter chain name.
func (c *config) dispatch(services, nodePorts string, shards []shardID, chainOf func(shardID) string) []string {
	sortShards(shards)
	var svc, np []string
	for _, s := range shards {
		if s.kind == addrShard {
			svc = append(svc, "-A "+services+" "+c.family.shardMatch(s.index)+" -j "+chainOf(s))
			continue
		}
		lo := s.index * portShardWidth
		for _, proto := range []string{"tcp", "udp", "sctp"} {
			np = append(np, fmt.Sprintf("-A %s -p %s -m %s --dport %d:%d -j %s", nodePorts, proto, proto, lo, lo+portShardWidth-1, chainOf(s)))
		}
	}
	return append(append(svc, c.nodePortJumps(services, nodePorts)...), np...)
}

func sortShards(s []shardID) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].kind != s[j].kind {
			return s[i].kind < s[j].kind
		}
		return s[i].index < s[j].index
	})
}

// parseShardJump reads the shard chain a dispatch rule jumps to.
func parseShardJump(rule string) (shardID, bool) {
	i := strings.LastIndex(rule, " -j ")
	if i < 0 {
		return shardID{}, false
	}
	return parseShardChain(strings.TrimSpace(rule[i+4:]))
}

func parseShardChain(chain string) (shardID, bool) {
	var idx int
	for _, f := range []struct {
		format string
		kind   shardKind
	}{{"NODENET-SVC-%02X", addrShard}, {"NODENET-NP-%04X", portShard}, {"NODENET-REJ-NP-%04X", portShard}, {"NODENET-REJ-%02X", addrShard}} {
		if n, err := fmt.Sscanf(chain, f.format, &idx); err == nil && n == 1 {
			s := shardID{kind: f.kind, index: idx}
			if s.natChain() == chain || s.filterChain() == chain {
				return s, true
			}
		}
	}
	return shardID{}, false
}
