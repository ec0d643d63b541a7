package iptablestest

import (
	"fmt"
	"sort"
	"strings"
)

// builtinChains are each table's built-in chains in the order iptables
// lists them (the netfilter hook order).
var builtinChains = map[string][]string{
	tableNAT:    {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"},
	tableFilter: {"INPUT", "FORWARD", "OUTPUT"},
}

// fakeTable is one table of the fake kernel. Rules are immutable once
// parsed, so a clone copies only the chain map and rule slices.
type fakeTable struct {
	name   string
	chains map[string]*fakeChain
}

type fakeChain struct {
	builtin bool
	policy  string // ACCEPT or DROP; built-in chains only
	rules   []*fakeRule
}

func newFakeTable(name string) *fakeTable {
	t := &fakeTable{name: name, chains: map[string]*fakeChain{}}
	for _, c := range builtinChains[name] {
		t.chains[c] = &fakeChain{builtin: true, policy: "ACCEPT"}
	}
	return t
}

func (t *fakeTable) clone() *fakeTable {
	c := &fakeTable{name: t.name, chains: make(map[string]*fakeChain, len(t.chains))}
	for name, ch := range t.chains {
		cp := *ch
		cp.rules = append([]*fakeRule(nil), ch.rules...)
		c.chains[name] = &cp
	}
	return c
}

// chainNames lists built-in chains first in hook order, then user chains
// sorted, as iptables-save and iptables -S do.
func (t *fakeTable) chainNames() []string {
	out := append([]string(nil), builtinChains[t.name]...)
	var user []string
	for name, c := range t.chains {
		if !c.builtin {
			user = append(user, name)
		}
	}
	sort.Strings(user)
	return append(out, user...)
}

func (t *fakeTable) chain(name string) (*fakeChain, error) {
	c, ok := t.chains[name]
	if !ok {
		return nil, fmt.Errorf("chain %s does not exist in table %s", name, t.name)
	}
	return c, nil
}

// referrers counts the rules of other chains that jump to chain.
func (t *fakeTable) referrers(chain string) int {
	n := 0
	for name, c := range t.chains {
		if name == chain {
			continue
		}
		for _, r := range c.rules {
			if r.target.kind == targetJump && r.target.name == chain {
				n++
			}
		}
	}
	return n
}

// listRules renders chain as `iptables -S chain` does: its policy (-P) or
// creation (-N) line, then its rules.
func (t *fakeTable) listRules(name string, c *fakeChain) []string {
	head := "-N " + name
	if c.builtin {
		head = "-P " + name + " " + c.policy
	}
	out := []string{head}
	for _, r := range c.rules {
		out = append(out, ruleLine(name, r))
	}
	return out
}

func ruleLine(chain string, r *fakeRule) string {
	if spec := r.String(); spec != "" {
		return "-A " + chain + " " + spec
	}
	return "-A " + chain
}

// save renders the table in iptables-save format, without the timestamped
// comments, so that the output is deterministic.
func (t *fakeTable) save() string {
	var b strings.Builder
	b.WriteString("*" + t.name + "\n")
	names := t.chainNames()
	for _, name := range names {
		policy := "-"
		if c := t.chains[name]; c.builtin {
			policy = c.policy
		}
		fmt.Fprintf(&b, ":%s %s [0:0]\n", name, policy)
	}
	for _, name := range names {
		for _, r := range t.chains[name].rules {
			b.WriteString(ruleLine(name, r) + "\n")
		}
	}
	b.WriteString("COMMIT\n")
	return b.String()
}
