package nftables

import (
	"sigs.k8s.io/knftables"
)

// baseChain is a chain hooked into netfilter.
type baseChain struct {
	name     string
	kind     knftables.BaseChainType
	hook     knftables.BaseChainHook
	priority knftables.BaseChainPriority
}

// baseChains, as kube-proxy's nftables mode. The filter chains run on new
// connections only: at dstnat-10 (before DNAT) the source-range firewall
// sees the load-balancer IP and the output path rejects Services without
// endpoints; in input and forward (after DNAT) a packet still addressed to
// a Service frontend found no endpoint. The ClusterIP checks run after
// DNAT in forward and output (output's post-DNAT chain), where a live
// ClusterIP still being the destination means an unused port.
var baseChains = []baseChain{
	{chainNATPrerouting, knftables.NATType, knftables.PreroutingHook, knftables.DNATPriority},
	{chainNATOutput, knftables.NATType, knftables.OutputHook, knftables.DNATPriority},
	{chainNATPostrouting, knftables.NATType, knftables.PostroutingHook, knftables.SNATPriority},
	{chainFilterPrerouting, knftables.FilterType, knftables.PreroutingHook, knftables.DNATPriority + "-10"},
	{chainFilterInput, knftables.FilterType, knftables.InputHook, knftables.FilterPriority + "-10"},
	{chainFilterForward, knftables.FilterType, knftables.ForwardHook, knftables.FilterPriority + "-10"},
	{chainFilterOutput, knftables.FilterType, knftables.OutputHook, knftables.DNATPriority + "-10"},
	{chainFilterOutputPostDNAT, knftables.FilterType, knftables.OutputHook, knftables.DNATPriority + "+10"},
}

var regularChains = []string{chainServices, chainMasquerading, chainMarkForMasq, chainFirewallCheck, chainEndpointsCheck, chainClusterIPsCheck, chainReject}

// fixedChainNames are the chains that exist whatever the Services.
func fixedChainNames() []string {
	out := append([]string(nil), regularChains...)
	for _, bc := range baseChains {
		out = append(out, bc.name)
	}
	return out
}

// fixedRules are the fixed chains' rules (rewritten on full syncs only).
func (c *config) fixedRules() map[string]chainRules {
	kw := c.family.kw
	m := c.masqMark
	dispatch := kw + " daddr . meta l4proto . th dport vmap @"
	npMatch := c.nodePorts.match() + " meta l4proto . th dport vmap @"
	out := map[string]chainRules{
		chainNATPrerouting:        {"jump " + chainServices},
		chainNATOutput:            {"jump " + chainServices},
		chainNATPostrouting:       {"jump " + chainMasquerading},
		chainFilterPrerouting:     {"ct state new jump " + chainFirewallCheck},
		chainFilterInput:          {"ct state new jump " + chainEndpointsCheck},
		chainFilterForward:        {"ct state new jump " + chainEndpointsCheck, "ct state new jump " + chainClusterIPsCheck},
		chainFilterOutput:         {"ct state new jump " + chainFirewallCheck, "ct state new jump " + chainEndpointsCheck},
		chainFilterOutputPostDNAT: {"ct state new jump " + chainClusterIPsCheck},

		chainServices:       {dispatch + mapServiceIPs, npMatch + mapServiceNodePorts},
		chainEndpointsCheck: {dispatch + mapNoEndpointServices, npMatch + mapNoEndpointNodePorts},
		chainFirewallCheck:  {dispatch + mapFirewallIPs},
		chainClusterIPsCheck: append(chainRules{kw + " daddr @" + setClusterIPs + " reject"},
			c.unallocatedDrops()...),
		chainReject:      {"reject"},
		chainMarkForMasq: {"meta mark set meta mark or " + m},
		chainMasquerading: {
			// A local endpoint that reaches itself through its Service: the
			// reply would come from its own address (hairpin).
			kw + " saddr . " + kw + " daddr @" + setHairpin + " masquerade",
			"meta mark and " + m + " == 0 return",
			// Clear the bit so a packet routed through again (as hairpin
			// traffic is) is not masqueraded twice.
			"meta mark set meta mark xor " + m,
			"masquerade fully-random",
		},
	}
	return out
}

// unallocatedDrops drop new traffic to an address of the Service CIDRs
// that is no live ClusterIP (live ones with an unused port were rejected
// just before), as kube-proxy's nftables mode: nothing answers there, and
// without the drop the packet would be routed to the default gateway.
func (c *config) unallocatedDrops() chainRules {
	var out chainRules
	for _, p := range c.serviceCIDRs {
		out = append(out, c.family.kw+" daddr "+p.String()+" drop")
	}
	return out
}

// tableSets and tableMaps are the shared sets and maps, by name.
func (c *config) tableSets() []*knftables.Set {
	a := c.family.addrType
	return []*knftables.Set{
		{Name: setClusterIPs, Type: a},
		{Name: setHairpin, Type: a + " . " + a},
		{Name: setNodePortAddrs, Type: a, Flags: []knftables.SetFlag{knftables.IntervalFlag}},
	}
}

func (c *config) tableMaps() []*knftables.Map {
	svc := c.family.addrType + " . inet_proto . inet_service : verdict"
	np := "inet_proto . inet_service : verdict"
	out := []*knftables.Map{
		{Name: mapServiceIPs, Type: svc},
		{Name: mapServiceNodePorts, Type: np},
		{Name: mapNoEndpointServices, Type: svc},
		{Name: mapNoEndpointNodePorts, Type: np},
		{Name: mapFirewallIPs, Type: svc},
	}
	return out
}

// writeFixed declares the table and its fixed objects (add is a no-op for
// what exists: a previous run's table is adopted, not flushed) and
// rewrites the fixed chains' rules, each flushed and refilled in the same
// transaction so no packet sees it empty.
func (c *config) writeFixed(tx *knftables.Transaction) {
	tx.Add(&knftables.Table{Comment: knftables.PtrTo("nodenet Service proxy")})
	for _, s := range c.tableSets() {
		tx.Add(s)
	}
	for _, m := range c.tableMaps() {
		tx.Add(m)
	}
	for _, name := range regularChains {
		tx.Add(&knftables.Chain{Name: name})
	}
	for _, bc := range baseChains {
		tx.Add(&knftables.Chain{Name: bc.name, Type: knftables.PtrTo(bc.kind), Hook: knftables.PtrTo(bc.hook), Priority: knftables.PtrTo(bc.priority)})
	}
	rules := c.fixedRules()
	for _, name := range fixedChainNames() {
		tx.Flush(&knftables.Chain{Name: name})
		for _, r := range rules[name] {
			tx.Add(&knftables.Rule{Chain: name, Rule: r})
		}
	}
}

// fixedElems are the elements the configuration (not the Services) puts
// in the table: the NodePort addresses.
func (c *config) fixedElems() map[elemID]elem {
	out := map[elemID]elem{}
	for _, k := range c.nodePorts.elements() {
		out[idOf(setNodePortAddrs, k)] = elem{key: k}
	}
	return out
}

// containers are the shared maps and sets whose elements a full sync
// reads from the kernel and reconciles.
func (c *config) containers() (sets, maps []string) {
	for _, s := range c.tableSets() {
		sets = append(sets, s.Name)
	}
	for _, m := range c.tableMaps() {
		maps = append(maps, m.Name)
	}
	return sets, maps
}
