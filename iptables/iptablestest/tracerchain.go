package iptablestest

import (
	"fmt"
	"net/netip"
)

// traceEnv is what stays fixed while one packet is traced.
type traceEnv struct {
	src    netip.Addr
	proto  string // lower case, as -p spells it
	local  map[netip.Addr]bool
	recent map[string]bool // xt_recent lists that hold src
	ipsets FakeIPSets      // for -m set (fakematch_set.go)
}

// isLocal is what -m addrtype --dst-type LOCAL sees: the node's addresses
// and, as in the kernel's local routing table, all of loopback.
func (e *traceEnv) isLocal(a netip.Addr) bool {
	return a.IsLoopback() || e.local[a.Unmap()]
}

// traceState is one branch of a trace: the packet as rules rewrote it,
// and how likely this branch is.
type traceState struct {
	dst   netip.Addr
	dport int
	mark  uint32
	dnat  netip.AddrPort // valid once a DNAT rule rewrote the packet
	masq  bool
	prob  float64
}

// flow is what a branch does next once a rule (or chain) is done with it.
type flow int

const (
	flowNext   flow = iota // go on with the next rule
	flowReturn             // leave the chain (RETURN, or fell off its end)
	flowAccept
	flowDrop
	flowReject
)

type branch struct {
	st   traceState
	flow flow
}

// maxJumpDepth bounds chain nesting; the fake refuses loops at commit, so
// hitting it means a bug, not a ruleset.
const maxJumpDepth = 64

// runChain evaluates chain's rules in order for st and returns every way
// the packet leaves the chain. A rule that matches with probability p
// splits a branch in two: one (p) takes the rule's target, the other
// (1-p) goes on to the next rule.
func (t *tracer) runChain(st traceState, table *fakeTable, chain string, depth int) ([]branch, error) {
	if depth > maxJumpDepth {
		return nil, fmt.Errorf("chain %s: jumps nested deeper than %d", chain, maxJumpDepth)
	}
	c, err := table.chain(chain)
	if err != nil {
		return nil, err
	}
	live := []traceState{st}
	var out []branch
	for i, r := range c.rules {
		var next []traceState
		for _, s := range live {
			bs, err := t.runRule(s, table, r, depth)
			if err != nil {
				return nil, fmt.Errorf("%s rule %d (%s): %w", chain, i+1, r, err)
			}
			for _, b := range bs {
				if b.flow == flowNext {
					next = append(next, b.st)
				} else {
					out = append(out, b)
				}
			}
		}
		if live = next; len(live) == 0 {
			break
		}
	}
	for _, s := range live {
		out = append(out, branch{s, flowReturn})
	}
	return out, nil
}

// runRule splits st on the rule's matches and applies the target to the
// matching part.
func (t *tracer) runRule(st traceState, table *fakeTable, r *fakeRule, depth int) ([]branch, error) {
	p, err := t.matchProb(st, r)
	if err != nil {
		return nil, err
	}
	var out []branch
	if p < 1 {
		miss := st
		miss.prob *= 1 - p
		out = append(out, branch{miss, flowNext})
	}
	if p > 0 {
		hit := st
		hit.prob *= p
		bs, err := t.applyTarget(hit, table, r.target, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	}
	return out, nil
}

// matchProb is the probability that every match of r matches st. Matches
// are independent (only statistic is random), so it is their product.
func (t *tracer) matchProb(st traceState, r *fakeRule) (float64, error) {
	p := 1.0
	for _, m := range r.matches {
		if m.eval == nil {
			return 0, m.unsupported
		}
		if p *= m.eval(&st, t.env); p == 0 {
			return 0, nil
		}
	}
	return p, nil
}

func (t *tracer) applyTarget(st traceState, table *fakeTable, tg ruleTarget, depth int) ([]branch, error) {
	if tg.unsupported != nil {
		return nil, tg.unsupported
	}
	switch tg.kind {
	case targetNone, targetLog:
		return []branch{{st, flowNext}}, nil
	case targetJump:
		return t.jump(st, table, tg.name, depth)
	case targetAccept:
		return []branch{{st, flowAccept}}, nil
	case targetDrop:
		return []branch{{st, flowDrop}}, nil
	case targetReject:
		return []branch{{st, flowReject}}, nil
	case targetReturn:
		return []branch{{st, flowReturn}}, nil
	case targetMark:
		st.mark = st.mark&^tg.markClear ^ tg.markXor
		return []branch{{st, flowNext}}, nil
	case targetDNAT:
		return []branch{{dnat(st, tg), flowAccept}}, nil
	case targetMasquerade:
		st.masq = true
		return []branch{{st, flowAccept}}, nil
	}
	return nil, fmt.Errorf("-j %s: %w", tg.name, errUnsupported)
}

// jump runs a user chain; what returns from it goes on in the caller.
func (t *tracer) jump(st traceState, table *fakeTable, chain string, depth int) ([]branch, error) {
	bs, err := t.runChain(st, table, chain, depth+1)
	if err != nil {
		return nil, err
	}
	for i := range bs {
		if bs[i].flow == flowReturn {
			bs[i].flow = flowNext
		}
	}
	return bs, nil
}

// dnat rewrites the destination; a DNAT without a port keeps the packet's.
func dnat(st traceState, tg ruleTarget) traceState {
	st.dst = tg.dnatAddr
	if tg.dnatPort != 0 {
		st.dport = tg.dnatPort
	}
	st.dnat = netip.AddrPortFrom(st.dst, uint16(st.dport))
	return st
}
