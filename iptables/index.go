package iptables

import (
	"sort"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/proxy"
)

// index remembers which shards each Service port's frontends live in, so
// a change to one Service finds the shards to rewrite without a scan.
type index struct {
	shardsOf map[proxy.ServicePortName][]shardID
	members  map[shardID]sets.Set[proxy.ServicePortName]
}

func newIndex() *index {
	return &index{
		shardsOf: map[proxy.ServicePortName][]shardID{},
		members:  map[shardID]sets.Set[proxy.ServicePortName]{},
	}
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
