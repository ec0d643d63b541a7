package firewall

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/internal/nftnotfound"
	"github.com/nodenet/nodenet/netpol"
)

// The guard table makes the firewall fail closed when nothing of it runs:
// NODENET-FW flushed, the FORWARD → NODENET-FW hook deleted, or an ACCEPT
// inserted above the hook or into any of the firewall's chains. The last
// rule of NODENET-FW sets ranMark ("the firewall looked at this packet
// and let it through"); a forward-hook chain of an nftables table of its
// own, at a priority after iptables' filter table (legacy or nft, both at
// priority 0), rejects new forwarded traffic from or to this node's pods
// that lacks the bit, and clears the bit on everything else so that it
// never leaks. Unlike the pod chains' allowMark (guard.go), this does not
// depend on anything inside the iptables chains surviving: an empty or
// bypassed NODENET-FW simply never sets the bit.
//
// The bit is set last, not first: an ACCEPT anywhere in the firewall's
// chains ends FORWARD before it, so it is caught too. The top chain's
// only early RETURNs are for established/related traffic and IPv6
// neighbour discovery, which the guard lets through as the firewall does.
//
// br_netfilter hands bridged pod ↔ pod frames to the IPv4/IPv6 forward
// hooks, and an inet table hooks both families, so one chain covers
// bridged and routed pod traffic of both families, on iptables-nft and
// iptables-legacy alike (both write the same skb mark).
//
// It exists only while a policy exists (with none nothing is isolated,
// and failing closed would only break the node). Its rule count is
// constant: pods are recognised by two interval sets holding this node's
// pod ranges (Node.spec.podCIDRs), plus local pod addresses outside them
// (a node without podCIDRs).

// guardTable is the guard's nftables table (inet family). Table names
// are limited to 255 characters (NFT_NAME_MAXLEN 256); this one never
// matches the proxy's "nodenet" table.
const guardTable = "nodenet-fw-guard"

// Names inside the guard table.
const (
	guardChain  = "forward"
	guardPods4  = "pods4"
	guardPods6  = "pods6"
	guardReject = "counter reject with icmpx admin-prohibited"
)

// ranMark is bit 12 of the packet mark, the guard's "the firewall ran".
// It clashes with no bit of the programs that share the mark on a node:
// kube-proxy's masquerade (0x4000, also the proxy's default) and drop
// (0x8000) bits, the firewall's own allowMark (0x2000), Calico's range
// (0xffff0000), Cilium's magic marks (0x0f00) and identity bits (the
// upper 16), kube-router's 0x10000/0x20000, Weave's 0x20000/0x40000.
// The guard clears it on every packet it lets through.
const ranMark = 0x1000

// ranMarkLine is NODENET-FW's last rule while a policy exists.
var ranMarkLine = fmt.Sprintf("-j MARK --or-mark 0x%x", ranMark)

// guardSpec is the guard table's content: its chain's rules and the
// members of its two pod sets.
type guardSpec struct {
	rules        []string
	pods4, pods6 []string
}

func (g *guardSpec) equal(o *guardSpec) bool {
	if g == nil || o == nil {
		return g == o
	}
	return slices.Equal(g.rules, o.rules) && slices.Equal(g.pods4, o.pods4) && slices.Equal(g.pods6, o.pods6)
}

// addGuard adds the guard table and NODENET-FW's ranMark rule to d,
// while a policy exists (pure, like render).
func addGuard(d *desired, m *netpol.Model, families []bool) {
	if m.PolicyCount == 0 {
		return
	}
	g := &guardSpec{rules: []string{
		fmt.Sprintf("meta mark & 0x%x == 0x%x meta mark set meta mark & 0x%x return", ranMark, ranMark, ^uint32(ranMark)),
		"ct state established,related return",
	}}
	for _, ipv6 := range families {
		d.chains[ipv6][topChain] = append(slices.Clone(d.chains[ipv6][topChain]), ranMarkLine)
		kw, set := "ip", guardPods4
		if ipv6 {
			kw, set = "ip6", guardPods6
			g.rules = append(g.rules, "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } return")
		}
		for _, dir := range []string{"saddr", "daddr"} {
			g.rules = append(g.rules, fmt.Sprintf("%s %s @%s %s", kw, dir, set, guardReject))
		}
		members := podRanges(m, ipv6)
		if ipv6 {
			g.pods6 = members
		} else {
			g.pods4 = members
		}
	}
	d.guard = g
}

// podRanges are the node's pod ranges of one family, and the local pod
// addresses outside them (an interval set refuses overlapping members).
func podRanges(m *netpol.Model, ipv6 bool) []string {
	var cidrs []netip.Prefix
	for _, c := range m.PodCIDRs {
		if c.Addr().Is6() == ipv6 {
			cidrs = append(cidrs, c.Masked())
		}
	}
	out := make([]string, 0, len(cidrs))
	for _, c := range cidrs {
		out = append(out, c.String())
	}
	for _, pod := range m.SortedLocalPods() {
		for _, a := range pod.IPs {
			if a.Is6() == ipv6 && !slices.ContainsFunc(cidrs, func(c netip.Prefix) bool { return c.Contains(a) }) {
				out = append(out, a.String())
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// writeGuard makes the guard table hold want (nil: no table), in one
// transaction: the chain and sets are declared, flushed and refilled, so
// it also repairs whatever someone changed in them.
func (f *Firewall) writeGuard(want *guardSpec) error {
	if f.kernels.Guard == nil {
		return nil
	}
	tx := f.kernels.Guard.NewTransaction()
	tx.Add(&knftables.Table{})
	if want == nil {
		tx.Delete(&knftables.Table{})
	} else {
		writeGuardObjects(tx, want)
	}
	if err := f.kernels.Guard.Run(context.TODO(), tx); err != nil {
		return fmt.Errorf("nftables table %s: %w", guardTable, err)
	}
	return nil
}

func writeGuardObjects(tx *knftables.Transaction, want *guardSpec) {
	for _, s := range []struct {
		name, typ string
		members   []string
	}{{guardPods4, "ipv4_addr", want.pods4}, {guardPods6, "ipv6_addr", want.pods6}} {
		set := &knftables.Set{Name: s.name, Type: s.typ, Flags: []knftables.SetFlag{knftables.IntervalFlag}}
		tx.Add(set)
		tx.Flush(set)
		for _, m := range s.members {
			tx.Add(&knftables.Element{Set: s.name, Key: []string{m}})
		}
	}
	chain := &knftables.Chain{
		Name: guardChain, Type: knftables.PtrTo(knftables.FilterType), Hook: knftables.PtrTo(knftables.ForwardHook),
		Priority: knftables.PtrTo(knftables.FilterPriority + "+10"),
	}
	tx.Add(chain)
	tx.Flush(chain)
	for _, r := range want.rules {
		tx.Add(&knftables.Rule{Chain: guardChain, Rule: r})
	}
}

// guardTampered tells what of the applied guard table the kernel no
// longer holds ("" when nothing): the chain's rule count, the sets'
// member counts, or the table itself.
func (f *Firewall) guardTampered(applied *guardSpec) (string, error) {
	if f.kernels.Guard == nil || applied == nil {
		return "", nil
	}
	ctx := context.TODO()
	rules, err := f.kernels.Guard.ListRules(ctx, guardChain)
	switch {
	case nftnotfound.Is(err):
		return "guard table " + guardTable + " is missing", nil
	case err != nil:
		return "", fmt.Errorf("list %s %s: %w", guardTable, guardChain, err)
	case len(rules) != len(applied.rules):
		return fmt.Sprintf("guard chain %s %s has %d rules, %d were applied", guardTable, guardChain, len(rules), len(applied.rules)), nil
	}
	for _, s := range []struct {
		name    string
		members []string
	}{{guardPods4, applied.pods4}, {guardPods6, applied.pods6}} {
		els, err := f.kernels.Guard.ListElements(ctx, "set", s.name)
		switch {
		case nftnotfound.Is(err):
			return "guard set " + s.name + " is missing", nil
		case err != nil:
			return "", fmt.Errorf("list %s %s: %w", guardTable, s.name, err)
		case len(els) != len(s.members):
			return fmt.Sprintf("guard set %s has %d members, %d were applied", s.name, len(els), len(s.members)), nil
		}
	}
	return "", nil
}

// newGuardKernel binds knftables to the guard table (nil with a logged
// reason where nft is unusable: the firewall then runs without it).
func newGuardKernel() (knftables.Interface, error) {
	return knftables.New(knftables.InetFamily, guardTable, knftables.UseNetlink)
}
