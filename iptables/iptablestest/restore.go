package iptablestest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// restore applies an iptables-restore --noflush payload. Like the real
// iptables-restore, each table is a transaction committed at its COMMIT
// line: an error discards the table being parsed and stops, but tables
// committed earlier in the payload stay applied (checked against
// iptables-restore v1.8.9, nf_tables and legacy alike).
func (f *FakeKernel) restore(payload string) error {
	var tx *fakeTable
	for n, line := range strings.Split(payload, "\n") {
		if err := f.restoreLine(&tx, strings.TrimSpace(line)); err != nil {
			return fmt.Errorf("line %d: %w", n+1, err)
		}
	}
	if tx != nil {
		return fmt.Errorf("table %s: COMMIT expected at end of input", tx.name)
	}
	return nil
}

func (f *FakeKernel) restoreLine(tx **fakeTable, line string) error {
	switch {
	case line == "" || line[0] == '#':
		return nil
	case line[0] == '*':
		if *tx != nil {
			return fmt.Errorf("table %s: COMMIT expected before %q", (*tx).name, line)
		}
		t, err := f.table(line[1:])
		if err != nil {
			return err
		}
		*tx = t.clone()
		return nil
	case *tx == nil:
		return fmt.Errorf("%q outside a table", line)
	case line == "COMMIT":
		if err := validateTable(*tx); err != nil {
			return fmt.Errorf("COMMIT %s: %w", (*tx).name, err)
		}
		if err := f.checkSetRefs(*tx); err != nil {
			return fmt.Errorf("COMMIT %s: %w", (*tx).name, err)
		}
		if err := f.checkAcctRefs(*tx); err != nil {
			return fmt.Errorf("COMMIT %s: %w", (*tx).name, err)
		}
		f.tables[(*tx).name] = *tx
		*tx = nil
		return nil
	case line[0] == ':':
		return declareChain(*tx, line)
	}
	toks, err := splitLine(line)
	if err != nil {
		return err
	}
	return f.command(*tx, toks)
}

// declareChain handles ":NAME POLICY [packets:bytes]". Declaring a user
// chain creates it or, when it exists, flushes it; declaring a built-in
// chain only sets its policy ("-" keeps it).
func declareChain(t *fakeTable, line string) error {
	fields := strings.Fields(line[1:])
	if len(fields) < 2 {
		return fmt.Errorf("bad chain declaration %q", line)
	}
	name, policy := fields[0], fields[1]
	if c, ok := t.chains[name]; ok && c.builtin {
		return setPolicy(c, name, policy)
	}
	if policy != "-" {
		return fmt.Errorf("user chain %s cannot have policy %s", name, policy)
	}
	if c, ok := t.chains[name]; ok {
		c.rules = nil
		return nil
	}
	return createChain(t, name)
}

func setPolicy(c *fakeChain, name, policy string) error {
	switch {
	case !c.builtin:
		return fmt.Errorf("user chain %s has no policy", name)
	case policy == "ACCEPT" || policy == "DROP":
		c.policy = policy
	case policy != "-":
		return fmt.Errorf("bad policy %q for %s", policy, name)
	}
	return nil
}

// maxChainName is XT_EXTENSION_MAXNAMELEN - 1.
const maxChainName = 28

func createChain(t *fakeTable, name string) error {
	switch _, std := standardTargets[name]; {
	case t.chains[name] != nil:
		return fmt.Errorf("chain %s already exists", name)
	case name == "" || len(name) > maxChainName || strings.HasPrefix(name, "-") || strings.ContainsAny(name, " \t!"):
		return fmt.Errorf("invalid chain name %q", name)
	case std:
		return fmt.Errorf("chain name %q is a target", name)
	}
	t.chains[name] = &fakeChain{}
	return nil
}

// command applies one rule command of a restore payload to t.
func (f *FakeKernel) command(t *fakeTable, toks []string) error {
	op, args := toks[0], toks[1:]
	chainArg := func() (string, *fakeChain, error) {
		if len(args) == 0 {
			return "", nil, fmt.Errorf("%s needs a chain", op)
		}
		c, err := t.chain(args[0])
		return args[0], c, err
	}
	switch op {
	case "-A", "--append", "-I", "--insert", "-D", "--delete":
		name, c, err := chainArg()
		if err != nil {
			return err
		}
		return f.editRules(t, op, name, c, args[1:])
	case "-N", "--new-chain":
		if len(args) != 1 {
			return fmt.Errorf("%s needs one chain", op)
		}
		return createChain(t, args[0])
	case "-X", "--delete-chain":
		return deleteChains(t, args)
	case "-F", "--flush":
		return flushChains(t, args)
	case "-P", "--policy":
		name, c, err := chainArg()
		if err != nil || len(args) != 2 {
			return errors.Join(err, fmt.Errorf("%s needs a chain and a policy", op))
		}
		return setPolicy(c, name, args[1])
	case "-Z", "--zero":
		return nil
	}
	return fmt.Errorf("unknown command %q", op)
}

// editRules applies -A, -I [N] and -D (by spec or number) to chain c.
func (f *FakeKernel) editRules(t *fakeTable, op, name string, c *fakeChain, spec []string) error {
	pos, numbered := 0, false
	if len(spec) > 0 {
		if n, err := strconv.Atoi(spec[0]); err == nil {
			pos, numbered, spec = n, true, spec[1:]
		}
	}
	if op == "-D" || op == "--delete" {
		return deleteRule(f.fam, c, name, pos, numbered, spec)
	}
	r, err := parseTableRule(f.fam, t.name, spec)
	if err != nil {
		return err
	}
	if op == "-A" || op == "--append" {
		if numbered {
			return fmt.Errorf("-A takes no rule number")
		}
		c.rules = append(c.rules, r)
		return nil
	}
	if !numbered {
		pos = 1
	}
	if pos < 1 || pos > len(c.rules)+1 {
		return fmt.Errorf("-I %s %d: index out of range", name, pos)
	}
	c.rules = slices.Insert(c.rules, pos-1, r)
	return nil
}

func deleteRule(fam family, c *fakeChain, name string, pos int, numbered bool, spec []string) error {
	if numbered {
		if len(spec) > 0 || pos < 1 || pos > len(c.rules) {
			return fmt.Errorf("-D %s %d: index out of range", name, pos)
		}
		c.rules = slices.Delete(c.rules, pos-1, pos)
		return nil
	}
	r, err := parseRule(fam, spec)
	if err != nil {
		return err
	}
	if i := indexOfRule(c, r); i >= 0 {
		c.rules = slices.Delete(c.rules, i, i+1)
		return nil
	}
	return fmt.Errorf("-D %s: rule %q does not exist", name, r)
}

func indexOfRule(c *fakeChain, r *fakeRule) int {
	want := r.String()
	for i, have := range c.rules {
		if have.String() == want {
			return i
		}
	}
	return -1
}

// parseTableRule parses a rule and rejects targets that the table does
// not allow, as iptables does before talking to the kernel.
func parseTableRule(fam family, table string, spec []string) (*fakeRule, error) {
	r, err := parseRule(fam, spec)
	if err != nil {
		return nil, err
	}
	switch r.target.kind {
	case targetReject:
		if table != tableFilter {
			return nil, fmt.Errorf("-j REJECT is only valid in the filter table, not %s", table)
		}
	case targetDNAT, targetSNAT, targetMasquerade:
		if table != tableNAT {
			return nil, fmt.Errorf("-j %s is only valid in the nat table, not %s", r.target.name, table)
		}
	case targetDrop:
		if table == tableNAT {
			return nil, errors.New(`the "nat" table is not intended for filtering, the use of DROP is therefore inhibited`)
		}
	}
	return r, nil
}

// deleteChains handles -X [CHAIN]: without a chain, every user chain.
func deleteChains(t *fakeTable, args []string) error {
	names := args
	if len(args) == 0 {
		for _, n := range t.chainNames() {
			if !t.chains[n].builtin {
				names = append(names, n)
			}
		}
	}
	for _, name := range names {
		if err := deleteChain(t, name); err != nil {
			return err
		}
	}
	return nil
}

func deleteChain(t *fakeTable, name string) error {
	c, err := t.chain(name)
	switch {
	case err != nil:
		return err
	case c.builtin:
		return fmt.Errorf("-X %s: cannot delete a built-in chain", name)
	case len(c.rules) > 0:
		return fmt.Errorf("-X %s: chain is not empty", name)
	case t.referrers(name) > 0:
		return fmt.Errorf("-X %s: chain is referenced by %d rule(s)", name, t.referrers(name))
	}
	delete(t.chains, name)
	return nil
}

// flushChains handles -F [CHAIN]: without a chain, every chain.
func flushChains(t *fakeTable, args []string) error {
	if len(args) == 0 {
		for _, c := range t.chains {
			c.rules = nil
		}
		return nil
	}
	c, err := t.chain(args[0])
	if err != nil {
		return err
	}
	c.rules = nil
	return nil
}
