package iptablestest

import (
	"fmt"
	"io/fs"
	"sort"
)

// The fake keeps nfacct counters as the kernel does (nfnetlink_acct), so
// that FakeKernel is an iptables.Accounting: Ensure creates a counter,
// Packets reads it, and a restore whose rules name a counter that does
// not exist fails, as iptables-restore does ("nfacct: ... No such file or
// directory"). In the kernel the counters belong to the network
// namespace; each FakeKernel (one per family) has its own.

// Ensure creates counter name unless it exists.
func (f *FakeKernel) Ensure(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name == "" || len(name) > 31 {
		return fmt.Errorf("nfacct counter name %q: want 1 to 31 bytes", name)
	}
	if f.nfacct == nil {
		f.nfacct = map[string]uint64{}
	}
	if _, ok := f.nfacct[name]; !ok {
		f.nfacct[name] = 0
	}
	return nil
}

// Packets reads counter name; fs.ErrNotExist (wrapped) when it does not
// exist, as iptables.Accounting says.
func (f *FakeKernel) Packets(name string) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.nfacct[name]
	if !ok {
		return 0, fmt.Errorf("nfacct counter %s: %w", name, fs.ErrNotExist)
	}
	return n, nil
}

// CountPackets adds n packets to counter name, as the kernel does when a
// rule naming it matches n packets.
func (f *FakeKernel) CountPackets(name string, n uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.nfacct[name]; ok {
		f.nfacct[name] += n
	}
}

// acctNames lists the counters a rule counts into.
func (r *fakeRule) acctNames() []string {
	var out []string
	for _, m := range r.matches {
		for i, tok := range m.text {
			if tok == "--nfacct-name" && i+1 < len(m.text) {
				out = append(out, m.text[i+1])
			}
		}
	}
	return out
}

// checkAcctRefs fails, as iptables does, when a rule of t names a
// counter that does not exist.
func (f *FakeKernel) checkAcctRefs(t *fakeTable) error {
	var missing []string
	for _, c := range t.chains {
		for _, r := range c.rules {
			for _, name := range r.acctNames() {
				if _, ok := f.nfacct[name]; !ok {
					missing = append(missing, name)
				}
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("nfacct counter %s doesn't exist", missing[0])
}

// acctModule: counting does not change where a packet goes.
func acctModule(opts []moduleOption) (matchFunc, error) {
	for _, o := range opts {
		if o.name != "nfacct-name" {
			return nil, fmt.Errorf("--%s: %w", o.name, errUnsupported)
		}
		if _, err := oneArg(o); err != nil {
			return nil, fmt.Errorf("--nfacct-name: %w", err)
		}
	}
	return func(*traceState, *traceEnv) float64 { return 1 }, nil
}
