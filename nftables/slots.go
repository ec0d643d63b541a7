package nftables

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/proxy"
)

// Endpoints live in data maps, not in rules: a service port's choice is
// one rule, `dnat to numgen random mod n offset k map @eps-XX`, and its n
// endpoints are the elements k … k+n-1 of one of the shared maps eps-00 …
// eps-3f. So an endpoint replaced (n unchanged) is an element change, which
// the kernel commits in ~1 ms, where changing a rule with a dnat makes it
// re-validate the whole table (30-50 ms at 10k Services). Not one map per
// Service, nor one for all: the kernel looks named sets up along a list
// and a set's bindings grow with every rule using it, both quadratic at
// 10k (BENCHMARKS.md). 64 shards keep both small.
const endpointShards = 64

// endpointMap names the shard map of service port n: "eps-", its
// protocol, "-" and 2 hex digits, at most 11 characters. One set of maps
// per protocol: the map's data is typeof `ip daddr . tcp dport` (or udp,
// sctp); nft 1.0.6 refuses `th dport` there once the map comes from the
// kernel ("conflicting protocols specified: tcp vs. th").
func endpointMap(n proxy.ServicePortName) string {
	sum := sha256.Sum256([]byte(n.String()))
	return fmt.Sprintf("eps-%s-%02x", protoOf(n), int(sum[0])%endpointShards)
}

func protoOf(n proxy.ServicePortName) string { return strings.ToLower(string(n.Protocol)) }

// endpointMapDecl declares an endpoint map; add is a no-op when it exists.
func (c *config) endpointMapDecl(name string) *knftables.Map {
	proto := strings.Split(name, "-")[1]
	return &knftables.Map{Name: name, TypeOf: "numgen random mod 1 : " + c.family.kw + " daddr . " + proto + " dport"}
}

func isEndpointMap(name string) bool { return strings.HasPrefix(name, "eps-") }

// block is a run of slots (map keys) of one shard map, owned by one
// selection chain.
type block struct {
	shard      string
	base, size uint32
}

// slotAllocator hands out blocks of each shard map. Sizes are powers of
// two (at least 4), so a block freed by one Service fits another, and a
// Service that grows within its block keeps it.
type slotAllocator struct {
	next map[string]uint32              // by shard: first never-used slot
	free map[string]map[uint32][]uint32 // by shard and size: freed bases
}

func newSlotAllocator() *slotAllocator {
	return &slotAllocator{next: map[string]uint32{}, free: map[string]map[uint32][]uint32{}}
}

func blockSize(n int) uint32 {
	size := uint32(4)
	for size < uint32(n) {
		size *= 2
	}
	return size
}

func (a *slotAllocator) alloc(shard string, n int) block {
	size := blockSize(n)
	if bases := a.free[shard][size]; len(bases) > 0 {
		a.free[shard][size] = bases[1:]
		return block{shard: shard, base: bases[0], size: size}
	}
	b := block{shard: shard, base: a.next[shard], size: size}
	a.next[shard] += size
	return b
}

func (a *slotAllocator) release(b block) {
	if a.free[b.shard] == nil {
		a.free[b.shard] = map[uint32][]uint32{}
	}
	list := append(a.free[b.shard][b.size], b.base)
	slices.Sort(list) // the lowest first, so allocation does not depend on history order
	a.free[b.shard][b.size] = list
}

// slotter gives one service port's render its blocks: the one a chain had
// before when n still fits (so an endpoint change keeps the rule), else a
// new one. done releases the old blocks no chain took again.
type slotter struct {
	alloc *slotAllocator
	shard string
	old   map[string]block // by chain, from the previous bundle
	taken map[string]bool
}

func (s *slotter) get(chain string, n int) block {
	if b, ok := s.old[chain]; ok && blockSize(n) <= b.size && b.shard == s.shard {
		s.taken[chain] = true
		return b
	}
	return s.alloc.alloc(s.shard, n)
}

func (s *slotter) done() {
	for chain, b := range s.old {
		if !s.taken[chain] {
			s.alloc.release(b)
		}
	}
}
