package nftables

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"sigs.k8s.io/knftables"
)

// A packet tracer over knftables' fake: it follows a new connection's
// first packet through nodenet's table as the kernel would (the rule
// shapes this backend writes, nothing more), so tests can state Service
// semantics as "this client reaches these endpoints", not as rule text.

// packet is the first packet of a new connection.
type packet struct {
	src, dst netip.Addr
	proto    string // tcp, udp, sctp
	dport    int
	srcLocal bool // the source is one of the node's addresses
	dstLocal bool // the destination is one of the node's addresses
}

// traceResult is what happens to the packet: its possible DNAT targets
// (several: chosen at random), whether it is masqueraded, and the filter
// verdict ("accept", "drop", "reject").
type traceResult struct {
	targets    []netip.AddrPort
	masquerade bool
	verdict    string
}

type tracer struct {
	t   *knftables.FakeTable
	kw  string
	pkt packet
	res traceResult
	// marked: the masquerade mark is set.
	marked bool
}

func trace(f *knftables.Fake, fam family, pkt packet) (traceResult, error) {
	tr := &tracer{t: f.Table, kw: fam.kw, pkt: pkt, res: traceResult{verdict: "accept"}}
	if tr.t == nil {
		return tr.res, fmt.Errorf("no table")
	}
	if v, err := tr.filterBeforeDNAT(); err != nil || v != "" {
		tr.res.verdict = v
		return tr.res, err
	}
	if err := tr.nat(); err != nil || tr.res.verdict == "drop" {
		return tr.res, err
	}
	if len(tr.res.targets) == 0 {
		v, err := tr.filterAfterNoDNAT()
		if v != "" {
			tr.res.verdict = v
		}
		if err != nil {
			return tr.res, err
		}
	}
	tr.res.masquerade = tr.marked || tr.hairpin()
	return tr.res, nil
}

func (tr *tracer) key3() []string {
	return []string{tr.pkt.dst.String(), tr.pkt.proto, strconv.Itoa(tr.pkt.dport)}
}

func (tr *tracer) mapVerdict(name string, key ...string) string {
	m := tr.t.Maps[name]
	if m == nil {
		return ""
	}
	if e := m.FindElement(key...); e != nil {
		return e.Value[0]
	}
	return ""
}

// filterBeforeDNAT is firewall-check (loadBalancerSourceRanges).
func (tr *tracer) filterBeforeDNAT() (string, error) {
	v := tr.mapVerdict(mapFirewallIPs, tr.key3()...)
	if v == "" {
		return "", nil
	}
	return tr.run(strings.TrimPrefix(v, "goto "))
}

// nat is the services chain: the dispatch map, then NodePorts.
func (tr *tracer) nat() error {
	v := tr.mapVerdict(mapServiceIPs, tr.key3()...)
	if v == "" && tr.nodePortAddress() {
		v = tr.mapVerdict(mapServiceNodePorts, tr.pkt.proto, strconv.Itoa(tr.pkt.dport))
	}
	if v == "" {
		return nil
	}
	verdict, err := tr.run(strings.TrimPrefix(v, "goto "))
	if verdict == "drop" {
		tr.res.verdict = "drop"
	}
	return err
}

// nodePortAddress is the services chain's NodePort match.
func (tr *tracer) nodePortAddress() bool {
	rules := tr.t.Chains[chainServices].Rules
	rule := rules[len(rules)-1].Rule
	if !tr.pkt.dstLocal {
		return false
	}
	if strings.Contains(rule, "@"+setNodePortAddrs) {
		return tr.inSet(setNodePortAddrs, tr.pkt.dst)
	}
	return !tr.pkt.dst.IsLoopback()
}

// filterAfterNoDNAT: service-endpoints-check and cluster-ips-check.
func (tr *tracer) filterAfterNoDNAT() (string, error) {
	if v := tr.mapVerdict(mapNoEndpointServices, tr.key3()...); v != "" {
		return tr.run(strings.TrimPrefix(v, "goto "))
	}
	if tr.nodePortAddress() {
		if v := tr.mapVerdict(mapNoEndpointNodePorts, tr.pkt.proto, strconv.Itoa(tr.pkt.dport)); v != "" {
			return tr.run(strings.TrimPrefix(v, "goto "))
		}
	}
	return tr.run(chainClusterIPsCheck)
}

// run evaluates chain and returns its final verdict ("" when it falls
// through). DNAT rules guarded by numgen add a possible target and go on;
// an unguarded one ends the chain.
func (tr *tracer) run(chain string) (string, error) {
	c := tr.t.Chains[chain]
	if c == nil {
		return "", fmt.Errorf("no chain %q", chain)
	}
	for _, r := range c.Rules {
		rule, ok := tr.matches(r.Rule)
		if !ok {
			continue
		}
		random := strings.HasPrefix(rule, "numgen random mod ")
		if random {
			rule = rule[strings.Index(rule, "== 0 ")+len("== 0 "):]
		}
		verdict, done, err := tr.action(rule)
		if err != nil {
			return "", err
		}
		if done && !random {
			return verdict, nil
		}
	}
	return "", nil
}

// matches strips the rule's matches when the packet meets them.
func (tr *tracer) matches(rule string) (string, bool) {
	for {
		switch {
		case strings.HasPrefix(rule, tr.kw+" saddr != "):
			nets, rest := splitNets(strings.TrimPrefix(rule, tr.kw+" saddr != "))
			if containsAny(nets, tr.pkt.src) {
				return "", false
			}
			rule = rest
		case strings.HasPrefix(rule, tr.kw+" saddr @"):
			return "", false // affinity: a new client is in no set
		case strings.HasPrefix(rule, tr.kw+" saddr . "):
			return rule, true // the hairpin rule, evaluated by hairpin()
		case strings.HasPrefix(rule, tr.kw+" saddr "):
			nets, rest := splitNets(strings.TrimPrefix(rule, tr.kw+" saddr "))
			if !containsAny(nets, tr.pkt.src) {
				return "", false
			}
			rule = rest
		case strings.HasPrefix(rule, tr.kw+" daddr @"+setClusterIPs+" "):
			if !tr.inSet(setClusterIPs, tr.pkt.dst) {
				return "", false
			}
			rule = strings.TrimPrefix(rule, tr.kw+" daddr @"+setClusterIPs+" ")
		case strings.HasPrefix(rule, tr.kw+" daddr "):
			nets, rest := splitNets(strings.TrimPrefix(rule, tr.kw+" daddr "))
			if !containsAny(nets, tr.pkt.dst) {
				return "", false
			}
			rule = rest
		case strings.HasPrefix(rule, "fib saddr type local "):
			if !tr.pkt.srcLocal {
				return "", false
			}
			rule = strings.TrimPrefix(rule, "fib saddr type local ")
		case strings.HasPrefix(rule, "counter "):
			rule = strings.TrimPrefix(rule, "counter ")
		case strings.HasPrefix(rule, "update @"):
			return "", false // no verdict; the set is not modelled
		default:
			return rule, true
		}
	}
}

// action runs a rule's statement: its verdict, and whether it ends the
// chain (a DNAT, a drop, a reject, a goto).
func (tr *tracer) action(rule string) (string, bool, error) {
	switch {
	case rule == "drop" || rule == "reject":
		return rule, true, nil
	case rule == "jump "+chainMarkForMasq:
		tr.marked = true
		return "", false, nil
	case strings.HasPrefix(rule, "goto "):
		v, err := tr.run(strings.TrimPrefix(rule, "goto "))
		return v, true, err
	case strings.HasPrefix(rule, "meta l4proto ") && strings.Contains(rule, " map @"):
		return "", true, tr.dnatMap(rule)
	case strings.HasPrefix(rule, "meta l4proto "):
		i := strings.Index(rule, " dnat to ")
		ap, err := netip.ParseAddrPort(rule[i+len(" dnat to "):])
		if err != nil {
			return "", false, err
		}
		tr.res.targets = append(tr.res.targets, ap)
		return "", true, nil
	}
	return "", false, fmt.Errorf("tracer cannot run %q", rule)
}

// dnatMap follows "… to numgen random mod N offset K map @M": every
// element K … K+N-1 of M is a possible target, and all must exist.
func (tr *tracer) dnatMap(rule string) error {
	var n, k uint32
	var m string
	i := strings.Index(rule, "numgen random mod ")
	if _, err := fmt.Sscanf(rule[i:], "numgen random mod %d offset %d map @%s", &n, &k, &m); err != nil {
		return fmt.Errorf("%q: %w", rule, err)
	}
	for slot := k; slot < k+n; slot++ {
		e := tr.t.Maps[m].FindElement(strconv.FormatUint(uint64(slot), 10))
		if e == nil {
			return fmt.Errorf("%s has no slot %d", m, slot)
		}
		port, err := strconv.ParseUint(e.Value[1], 10, 16)
		if err != nil {
			return err
		}
		tr.res.targets = append(tr.res.targets, netip.AddrPortFrom(netip.MustParseAddr(e.Value[0]), uint16(port)))
	}
	return nil
}

// hairpin: a local endpoint reaching itself is masqueraded.
func (tr *tracer) hairpin() bool {
	for _, ap := range tr.res.targets {
		a := ap.Addr().String()
		if ap.Addr() == tr.pkt.src && tr.t.Sets[setHairpin].FindElement(a, a) != nil {
			return true
		}
	}
	return false
}

func (tr *tracer) inSet(name string, a netip.Addr) bool {
	s := tr.t.Sets[name]
	if s == nil {
		return false
	}
	for _, e := range s.Elements {
		if p, err := netip.ParsePrefix(e.Key[0]); err == nil && p.Contains(a) {
			return true
		}
		if b, err := netip.ParseAddr(e.Key[0]); err == nil && b == a {
			return true
		}
	}
	return false
}

// splitNets reads "CIDR rest" or "{ CIDR, CIDR } rest".
func splitNets(s string) ([]netip.Prefix, string) {
	var list, rest string
	if strings.HasPrefix(s, "{ ") {
		end := strings.Index(s, " }")
		list, rest = s[2:end], strings.TrimPrefix(s[end+2:], " ")
	} else {
		i := strings.IndexByte(s, ' ')
		list, rest = s[:i], s[i+1:]
	}
	var out []netip.Prefix
	for _, f := range strings.Split(list, ", ") {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p)
		} else if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out, rest
}

func containsAny(nets []netip.Prefix, a netip.Addr) bool {
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
