package iptables

import (
	"net/netip"
	"sort"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy"
)

// index remembers which shards each Service port's frontends live in, so
// a change to one Service finds the shards to rewrite without a scan.
type index struct {
	shardsOf map[proxy.ServicePortName][]shardID
	members  map[shardID]sets.Set[proxy.ServicePortName]
	// Local endpoints that take traffic, per Service port and counted over
	// all of them: each gets a hairpin rule while its count is positive.
	localOf   map[proxy.ServicePortName][]netip.Addr
	localRefs map[netip.Addr]int
}

func newIndex() *index {
	return &index{
		shardsOf:  map[proxy.ServicePortName][]shardID{},
		members:   map[shardID]sets.Set[proxy.ServicePortName]{},
		localOf:   map[proxy.ServicePortName][]netip.Addr{},
		localRefs: map[netip.Addr]int{},
	}
}

// setLocal records name's local endpoint addresses and tells whether the
// set of addresses needing a hairpin rule changed.
func (ix *index) setLocal(name proxy.ServicePortName, addrs []netip.Addr) bool {
	changed := false
	for _, a := range ix.localOf[name] {
		if ix.localRefs[a]--; ix.localRefs[a] == 0 {
			delete(ix.localRefs, a)
			changed = true
		}
	}
	for _, a := range addrs {
		if ix.localRefs[a]++; ix.localRefs[a] == 1 {
			changed = true
		}
	}
	if len(addrs) == 0 {
		delete(ix.localOf, name)
	} else {
		ix.localOf[name] = addrs
	}
	return changed
}

// hairpinAddrs returns the local endpoint addresses in order.
func (ix *index) hairpinAddrs() []netip.Addr {
	out := make([]netip.Addr, 0, len(ix.localRefs))
	for a := range ix.localRefs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

// set records that name now lives in shards; the shards it left and the
// shards it joined are returned (both need rewriting).
func (ix *index) set(name proxy.ServicePortName, shards []shardID) []shardID {
	touched := ix.shardsOf[name]
	for _, s := range touched {
		ix.members[s].Delete(name)
		if ix.members[s].Len() == 0 {
			delete(ix.members, s)
		}
	}
	if len(shards) == 0 {
		delete(ix.shardsOf, name)
		return touched
	}
	ix.shardsOf[name] = shards
	for _, s := range shards {
		if ix.members[s] == nil {
			ix.members[s] = sets.New[proxy.ServicePortName]()
		}
		ix.members[s].Insert(name)
	}
	return append(touched, shards...)
}

// sortedMembers returns the Service ports of shard s in name order.
func (ix *index) sortedMembers(s shardID) []proxy.ServicePortName {
	names := ix.members[s].UnsortedList()
	sort.Slice(names, func(i, j int) bool { return lessName(names[i], names[j]) })
	return names
}

func lessName(a, b proxy.ServicePortName) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	if a.Port != b.Port {
		return a.Port < b.Port
	}
	return a.Protocol < b.Protocol
}

// shardsFor lists the distinct shards of sp's frontends.
func (c *config) shardsFor(sp *proxy.ServicePort) []shardID {
	if sp == nil {
		return nil
	}
	var out []shardID
	seen := map[shardID]bool{}
	for _, fe := range c.frontendsOf(sp) {
		s := c.shardOfFrontend(fe)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// localAddrsOf lists the distinct addresses of name's local targets in
// this family. Under a Local policy these may be terminating endpoints
// that the Cluster policy would not use.
func (c *config) localAddrsOf(t *proxy.Table, name proxy.ServicePortName) []netip.Addr {
	sp := t.Services[name]
	if sp == nil || !c.servesFamily(sp) {
		return nil
	}
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	targets := c.targets(t, name)
	if sp.ExternalPolicyLocal || sp.InternalPolicyLocal {
		targets = append(targets, c.localTargets(t, name)...)
	}
	for _, ep := range targets {
		if ep.IsLocal && !seen[ep.Addr] {
			seen[ep.Addr] = true
			out = append(out, ep.Addr)
		}
	}
	return out
}
