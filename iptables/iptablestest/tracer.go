package iptablestest

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// Origin is where a traced packet enters the node's netfilter hooks.
type Origin int

const (
	// FromOutside: received on an interface (from another host or a pod).
	FromOutside Origin = iota
	// FromLocalProcess: sent by a process in the node's network namespace.
	FromLocalProcess
)

// Verdict is the fate of a traced packet.
type Verdict int

const (
	Accept Verdict = iota // delivered locally or forwarded
	Drop
	Reject
)

func (v Verdict) String() string {
	switch v {
	case Accept:
		return "Accept"
	case Drop:
		return "Drop"
	case Reject:
		return "Reject"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// Packet is the first packet of a new connection.
type Packet struct {
	Src, Dst netip.Addr
	Proto    v1.Protocol
	DPort    int
	Origin   Origin
	// Recent names the xt_recent lists that already hold Src (a client
	// with session affinity); empty for a client never seen.
	Recent []string
}

// Outcome is one possible fate of a traced packet. Rules with -m
// statistic make several outcomes reachable; Probability is the chance of
// this one, and the probabilities of a trace sum to 1.
type Outcome struct {
	Verdict     Verdict
	DNAT        netip.AddrPort // the rewritten destination; zero when none
	Masqueraded bool
	Probability float64
}

func (o Outcome) String() string {
	s := o.Verdict.String()
	if o.DNAT.IsValid() {
		s += " DNAT " + o.DNAT.String()
	}
	if o.Masqueraded {
		s += " masqueraded"
	}
	return fmt.Sprintf("%s (p=%.4f)", s, o.Probability)
}

// Trace follows p through the fake's nat and filter rules as the kernel
// would for a NEW connection, and returns every reachable outcome, sorted
// (verdict, then DNAT destination, then masquerade) with identical
// outcomes merged. The path:
//
//	FromOutside:      nat PREROUTING, then routing on the (DNATed)
//	                  destination: local: filter INPUT, nat INPUT;
//	                  else: filter FORWARD, nat POSTROUTING.
//	FromLocalProcess: nat OUTPUT, filter OUTPUT, nat POSTROUTING, and
//	                  for a local destination filter INPUT (the packet
//	                  loops back; nat is not consulted again).
//
// Built-in chains have their policy (ACCEPT unless set). Rules the tracer
// cannot evaluate make it return an error rather than guess.
func (f *FakeKernel) Trace(p Packet) ([]Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkPacket(p); err != nil {
		return nil, err
	}
	t := &tracer{
		env:      &traceEnv{src: p.Src, proto: strings.ToLower(string(p.Proto)), local: f.localAddrs, recent: setOf(p.Recent), ipsets: f.ipsets},
		tables:   f.tables,
		outcomes: map[outcomeKey]float64{},
	}
	st := traceState{dst: p.Dst, dport: p.DPort, prob: 1}
	var err error
	if p.Origin == FromLocalProcess {
		err = t.fromLocalProcess(st)
	} else {
		err = t.fromOutside(st)
	}
	if err != nil {
		return nil, fmt.Errorf("trace %s %s -> %s:%d: %w", p.Proto, p.Src, p.Dst, p.DPort, err)
	}
	return t.result(), nil
}

func (f *FakeKernel) checkPacket(p Packet) error {
	switch {
	case !p.Src.IsValid() || !p.Dst.IsValid():
		return fmt.Errorf("trace: packet needs Src and Dst")
	case !f.fam.owns(p.Src) || !f.fam.owns(p.Dst):
		return fmt.Errorf("trace: packet %s -> %s is not %s", p.Src, p.Dst, f.fam.ipFamily)
	case p.Proto == "":
		return fmt.Errorf("trace: packet needs Proto")
	case p.DPort < 0 || p.DPort > 65535:
		return fmt.Errorf("trace: bad port %d", p.DPort)
	case p.Origin != FromOutside && p.Origin != FromLocalProcess:
		return fmt.Errorf("trace: unknown origin %d", p.Origin)
	}
	return nil
}

// tracer accumulates the outcomes of one Trace.
type tracer struct {
	env      *traceEnv
	tables   map[string]*fakeTable
	outcomes map[outcomeKey]float64
}

// hookStep is a built-in chain of a table: one netfilter hook.
type hookStep struct{ table, chain string }

var (
	hookNATPrerouting  = hookStep{tableNAT, "PREROUTING"}
	hookNATInput       = hookStep{tableNAT, "INPUT"}
	hookNATOutput      = hookStep{tableNAT, "OUTPUT"}
	hookNATPostrouting = hookStep{tableNAT, "POSTROUTING"}
	hookFilterInput    = hookStep{tableFilter, "INPUT"}
	hookFilterForward  = hookStep{tableFilter, "FORWARD"}
	hookFilterOutput   = hookStep{tableFilter, "OUTPUT"}
)

func (t *tracer) fromOutside(st traceState) error {
	routed, err := t.pass(st, hookNATPrerouting)
	if err != nil {
		return err
	}
	for _, s := range routed {
		steps := []hookStep{hookFilterForward, hookNATPostrouting}
		if t.env.isLocal(s.dst) {
			steps = []hookStep{hookFilterInput, hookNATInput}
		}
		if err := t.deliver(s, steps...); err != nil {
			return err
		}
	}
	return nil
}

func (t *tracer) fromLocalProcess(st traceState) error {
	routed, err := t.pass(st, hookNATOutput)
	if err != nil {
		return err
	}
	for _, s := range routed {
		steps := []hookStep{hookFilterOutput, hookNATPostrouting}
		if t.env.isLocal(s.dst) {
			steps = append(steps, hookFilterInput)
		}
		if err := t.deliver(s, steps...); err != nil {
			return err
		}
	}
	return nil
}

// deliver passes st through steps and records whatever survives them all
// as accepted.
func (t *tracer) deliver(st traceState, steps ...hookStep) error {
	accepted, err := t.pass(st, steps...)
	for _, s := range accepted {
		t.record(s, Accept)
	}
	return err
}

// pass runs st through steps in order and returns the states every step
// accepted; dropped and rejected ones are recorded as outcomes.
func (t *tracer) pass(st traceState, steps ...hookStep) ([]traceState, error) {
	live := []traceState{st}
	for _, step := range steps {
		var next []traceState
		for _, s := range live {
			accepted, err := t.hook(s, step)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", step.table, step.chain, err)
			}
			next = append(next, accepted...)
		}
		live = next
	}
	return live, nil
}

// hook runs one built-in chain, applying its policy to packets that fall
// off its end or RETURN from it.
func (t *tracer) hook(st traceState, step hookStep) ([]traceState, error) {
	table := t.tables[step.table]
	branches, err := t.runChain(st, table, step.chain, 0)
	if err != nil {
		return nil, err
	}
	var accepted []traceState
	for _, b := range branches {
		f := b.flow
		if f == flowNext || f == flowReturn {
			f = flowAccept
			if table.chains[step.chain].policy == "DROP" {
				f = flowDrop
			}
		}
		switch f {
		case flowAccept:
			accepted = append(accepted, b.st)
		case flowDrop:
			t.record(b.st, Drop)
		case flowReject:
			t.record(b.st, Reject)
		}
	}
	return accepted, nil
}

type outcomeKey struct {
	verdict Verdict
	dnat    netip.AddrPort
	masq    bool
}

func (t *tracer) record(st traceState, v Verdict) {
	t.outcomes[outcomeKey{v, st.dnat, st.masq}] += st.prob
}

func (t *tracer) result() []Outcome {
	out := make([]Outcome, 0, len(t.outcomes))
	for k, p := range t.outcomes {
		out = append(out, Outcome{Verdict: k.verdict, DNAT: k.dnat, Masqueraded: k.masq, Probability: p})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Verdict != b.Verdict {
			return a.Verdict < b.Verdict
		}
		if c := a.DNAT.Compare(b.DNAT); c != 0 {
			return c < 0
		}
		return !a.Masqueraded && b.Masqueraded
	})
	return out
}

func setOf(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
