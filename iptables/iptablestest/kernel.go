package iptablestest

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	v1 "k8s.io/api/core/v1"
)

// FakeKernel is an in-memory iptables.Kernel for tests, in the spirit of
// knftables' fake and kube-proxy's iptables fake: it keeps the nat and
// filter tables, validates what it is given the way iptables and the
// kernel would (missing chains, deleting referenced chains, targets in
// the wrong table or hook, loops), and can Trace a packet through the
// rules it holds.
type FakeKernel struct {
	mu         sync.Mutex
	fam        family
	tables     map[string]*fakeTable
	localAddrs map[netip.Addr]bool

	restores    int
	lastPayload string
	failNext    error
	ipsets      FakeIPSets        // for -m set rules (fakeipset.go)
	nfacct      map[string]uint64 // nfacct counters' packets (nfacct.go)
}

// NewFakeKernel returns a fake with empty nat and filter tables for
// family (IPv4 or IPv6); it panics on any other family, as it is a test
// helper.
func NewFakeKernel(ipFamily v1.IPFamily) *FakeKernel {
	fam, ok := families[ipFamily]
	if !ok {
		panic(fmt.Sprintf("unknown IP family %q", ipFamily))
	}
	f := &FakeKernel{fam: fam, tables: map[string]*fakeTable{}, localAddrs: map[netip.Addr]bool{}}
	for _, t := range []string{tableNAT, tableFilter} {
		f.tables[t] = newFakeTable(t)
	}
	return f
}

// SetLocalAddrs sets the node's own addresses (those `-m addrtype
// --dst-type LOCAL` matches, besides loopback), replacing earlier ones.
func (f *FakeKernel) SetLocalAddrs(addrs ...netip.Addr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.localAddrs = map[netip.Addr]bool{}
	for _, a := range addrs {
		f.localAddrs[a.Unmap()] = true
	}
}

// FailNextRestore makes the next Restore return err without applying
// anything, to test how callers recover from a failed apply.
func (f *FakeKernel) FailNextRestore(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = err
}

// Restores is how many times Restore was called, failed calls included.
func (f *FakeKernel) Restores() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.restores
}

// LastPayload is the payload of the last Restore call.
func (f *FakeKernel) LastPayload() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastPayload
}

func (f *FakeKernel) table(name string) (*fakeTable, error) {
	t, ok := f.tables[name]
	if !ok {
		return nil, fmt.Errorf("table %q does not exist", name)
	}
	return t, nil
}

// Restore implements iptables.Kernel.
func (f *FakeKernel) Restore(payload []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restores++
	f.lastPayload = string(payload)
	if err := f.failNext; err != nil {
		f.failNext = nil
		return fmt.Errorf("fake restore: %w", err)
	}
	if err := f.restore(f.lastPayload); err != nil {
		return fmt.Errorf("fake restore: %w", err)
	}
	return nil
}

// ListRules implements iptables.Kernel, returning what go-iptables' List does:
// `iptables -S chain`, whose first line is "-N chain" ("-P chain POLICY"
// for a built-in chain).
func (f *FakeKernel) ListRules(table, chain string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.table(table)
	if err != nil {
		return nil, err
	}
	c, ok := t.chains[chain]
	if !ok {
		return nil, nil
	}
	return t.listRules(chain, c), nil
}

// ListChains implements iptables.Kernel: built-in chains, then user chains sorted.
func (f *FakeKernel) ListChains(table string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.table(table)
	if err != nil {
		return nil, err
	}
	return t.chainNames(), nil
}

// EnsureRule does what `iptables -C || iptables -I` does: the rule is
// compared in canonical form, as `iptables -C` compares rules, and
// inserted at the top when absent; the table must still validate
// afterwards (its jump target must exist).
func (f *FakeKernel) EnsureRule(table, chain string, rulespec ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.table(table)
	if err != nil {
		return err
	}
	r, err := parseTableRule(f.fam, table, rulespec)
	if err != nil {
		return err
	}
	tx := t.clone()
	c, err := tx.chain(chain)
	if err != nil {
		return err
	}
	if indexOfRule(c, r) >= 0 {
		return nil
	}
	c.rules = append([]*fakeRule{r}, c.rules...)
	if err := validateTable(tx); err != nil {
		return fmt.Errorf("insert into %s %s: %w", table, chain, err)
	}
	f.tables[table] = tx
	return nil
}

// DeleteRule implements iptables.Kernel: a missing chain or rule is not an error.
func (f *FakeKernel) DeleteRule(table, chain string, rulespec ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.table(table)
	if err != nil {
		return err
	}
	c, ok := t.chains[chain]
	if !ok {
		return nil
	}
	r, err := parseRule(f.fam, rulespec)
	if err != nil {
		return err
	}
	if i := indexOfRule(c, r); i >= 0 {
		c.rules = slices.Delete(c.rules, i, i+1)
	}
	return nil
}

// Save implements iptables.Kernel: table in iptables-save format, deterministic.
func (f *FakeKernel) Save(table string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.table(table)
	if err != nil {
		return "", err
	}
	return t.save(), nil
}

// Dump returns every table (nat, then filter) in iptables-save format.
func (f *FakeKernel) Dump() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, name := range []string{tableNAT, tableFilter} {
		b.WriteString(f.tables[name].save())
	}
	return b.String()
}
