package iptablestest

import (
	"fmt"
	"slices"
	"sort"
)

// targetHooks are the built-in chains (netfilter hooks) from which a
// target may be reached; the kernel refuses a commit that breaks this
// (for example MASQUERADE reachable from PREROUTING: "Invalid argument").
var targetHooks = map[targetKind][]string{
	targetDNAT:       {"PREROUTING", "OUTPUT"},
	targetSNAT:       {"POSTROUTING", "INPUT"},
	targetMasquerade: {"POSTROUTING"},
	targetReject:     {"INPUT", "FORWARD", "OUTPUT"},
}

// validateTable checks what the kernel checks when a table is committed:
// every jump names an existing chain, no chain reachable from a hook
// loops back to itself, and hook-restricted targets are only reachable
// from their hooks.
func validateTable(t *fakeTable) error {
	if err := checkJumpTargets(t); err != nil {
		return err
	}
	for _, hook := range builtinChains[t.name] {
		w := &hookWalk{t: t, hook: hook, state: map[string]walkState{}}
		if err := w.visit(hook); err != nil {
			return err
		}
	}
	return nil
}

func checkJumpTargets(t *fakeTable) error {
	names := make([]string, 0, len(t.chains))
	for name := range t.chains {
		names = append(names, name)
	}
	sort.Strings(names) // report the same error every time
	for _, name := range names {
		for _, r := range t.chains[name].rules {
			if r.target.kind == targetJump && t.chains[r.target.name] == nil {
				return fmt.Errorf("chain %s (jumped to from %s) does not exist", r.target.name, name)
			}
		}
	}
	return nil
}

type walkState int

const (
	unvisited walkState = iota
	onPath
	done
)

// hookWalk is a depth-first walk of the chains reachable from one hook.
type hookWalk struct {
	t     *fakeTable
	hook  string
	state map[string]walkState
}

func (w *hookWalk) visit(chain string) error {
	switch w.state[chain] {
	case onPath:
		return fmt.Errorf("chain %s loops back to itself (reached from %s)", chain, w.hook)
	case done:
		return nil
	}
	w.state[chain] = onPath
	for _, r := range w.t.chains[chain].rules {
		if hooks, limited := targetHooks[r.target.kind]; limited && !slices.Contains(hooks, w.hook) {
			return fmt.Errorf("-j %s in chain %s is reachable from %s, it is only valid from %v", r.target.name, chain, w.hook, hooks)
		}
		if r.target.kind == targetJump {
			if err := w.visit(r.target.name); err != nil {
				return err
			}
		}
	}
	w.state[chain] = done
	return nil
}
