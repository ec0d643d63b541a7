package iptablestest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// This file turns rule text into fakeRule: parsed enough for the fake to
// validate it and for the tracer to evaluate it, and printed back in the
// canonical form `iptables -S` uses, so that rules given in different but
// equivalent spellings (as EnsureRule's rulespec and a restored line can
// be) compare equal, as `iptables -C` compares them.

// errUnsupported marks rule parts the fake accepts (the kernel would) but
// the tracer cannot evaluate; tracing through them is an error.
var errUnsupported = errors.New("not supported by the fake tracer")

// fakeRule is one rule of a chain.
type fakeRule struct {
	matches []ruleMatch
	target  ruleTarget
}

// ruleMatch is one base match (-s, -d, -p, ...) or one -m module with its
// options.
type ruleMatch struct {
	text []string // canonical tokens, unquoted
	rank int      // print position: base matches first, like iptables
	eval matchFunc
	// unsupported says why eval is nil.
	unsupported error
}

// matchFunc returns the probability that the packet in st matches: 0 or
// 1 but for -m statistic.
type matchFunc func(st *traceState, env *traceEnv) float64

// String renders the rule spec (without "-A CHAIN") as iptables -S does.
func (r *fakeRule) String() string {
	var parts []string
	for _, m := range r.matches {
		parts = append(parts, quoteTokens(m.text)...)
	}
	if r.target.name != "" {
		parts = append(parts, "-j")
		parts = append(parts, quoteTokens(r.target.text)...)
	}
	// libxt_nfacct prints its option followed by two spaces.
	return strings.ReplaceAll(strings.Join(parts, " "), "--nfacct-name ", "--nfacct-name  ")
}

// baseRank orders base matches as iptables prints them; modules follow in
// the order given.
var baseRank = map[string]int{"-s": 0, "-d": 1, "-i": 2, "-o": 3, "-p": 4, "-f": 5}

func isBaseFlag(t string) bool {
	_, ok := baseRank[t]
	return ok
}

var longBase = map[string]string{
	"--source": "-s", "--destination": "-d", "--in-interface": "-i",
	"--out-interface": "-o", "--protocol": "-p", "--fragment": "-f",
}

const moduleRank = 10

// ruleParser holds the state of parsing one rule spec.
type ruleParser struct {
	fam    family
	toks   []string
	i      int
	rule   fakeRule
	proto  string // from -p, for implicit -m tcp/udp/sctp
	group  *moduleGroup
	negate bool
}

// moduleGroup is a -m module and the options collected for it so far.
type moduleGroup struct {
	name string
	opts []moduleOption
}

type moduleOption struct {
	negate bool
	name   string // without the leading "--"
	args   []string
}

// parseRule parses a rule spec: the arguments after "-A CHAIN".
func parseRule(fam family, toks []string) (*fakeRule, error) {
	p := &ruleParser{fam: fam, toks: toks}
	if err := p.parse(); err != nil {
		return nil, fmt.Errorf("rule %q: %w", strings.Join(toks, " "), err)
	}
	sort.SliceStable(p.rule.matches, func(i, j int) bool { return p.rule.matches[i].rank < p.rule.matches[j].rank })
	return &p.rule, nil
}

func (p *ruleParser) parse() error {
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		p.i++
		if err := p.token(t); err != nil {
			return err
		}
	}
	if p.negate {
		return errors.New("trailing \"!\"")
	}
	return p.endGroup()
}

func (p *ruleParser) token(t string) error {
	if long, ok := longBase[t]; ok {
		t = long
	}
	switch {
	case t == "!":
		if p.negate {
			return errors.New("double \"!\"")
		}
		p.negate = true
		return nil
	case t == "-m" || t == "--match":
		return p.startGroup()
	case t == "-j" || t == "--jump":
		return p.target()
	case t == "-g" || t == "--goto":
		return fmt.Errorf("%s is not supported by the fake", t)
	case isBaseFlag(t):
		return p.base(t)
	case strings.HasPrefix(t, "--"):
		return p.option(strings.TrimPrefix(t, "--"))
	}
	return fmt.Errorf("unexpected argument %q", t)
}

func (p *ruleParser) next() (string, error) {
	if p.i >= len(p.toks) {
		return "", fmt.Errorf("%s needs an argument", p.toks[p.i-1])
	}
	p.i++
	return p.toks[p.i-1], nil
}

func (p *ruleParser) takeNegate() bool {
	n := p.negate
	p.negate = false
	return n
}

func (p *ruleParser) base(flag string) error {
	if err := p.endGroup(); err != nil {
		return err
	}
	neg := p.takeNegate()
	var arg string
	if flag != "-f" {
		var err error
		if arg, err = p.next(); err != nil {
			return err
		}
	}
	m, err := p.fam.baseMatch(flag, arg)
	if err != nil {
		return err
	}
	if flag == "-p" {
		p.proto = strings.ToLower(arg)
	}
	p.rule.matches = append(p.rule.matches, withNegation(m, neg, baseRank[flag]))
	return nil
}

// withNegation prefixes "!" and inverts the match when negated.
func withNegation(m ruleMatch, neg bool, rank int) ruleMatch {
	m.rank = rank
	if !neg {
		return m
	}
	m.text = append([]string{"!"}, m.text...)
	if inner := m.eval; inner != nil {
		m.eval = func(st *traceState, env *traceEnv) float64 { return 1 - inner(st, env) }
	}
	return m
}

func (p *ruleParser) startGroup() error {
	if err := p.endGroup(); err != nil {
		return err
	}
	if p.negate {
		return errors.New("\"!\" before -m")
	}
	name, err := p.next()
	if err != nil {
		return err
	}
	p.group = &moduleGroup{name: name}
	return nil
}

// option adds a --option to the current module. Like iptables, an option
// after -p tcp|udp|sctp without -m loads that protocol's module.
func (p *ruleParser) option(name string) error {
	if p.group == nil {
		if !protoModules[p.proto] {
			return fmt.Errorf("--%s outside a match module", name)
		}
		p.group = &moduleGroup{name: p.proto}
	}
	opt := moduleOption{negate: p.takeNegate(), name: name}
	for p.i < len(p.toks) && takesArg(name, p.toks[p.i], len(opt.args)) {
		opt.args = append(opt.args, p.toks[p.i])
		p.i++
	}
	p.group.opts = append(p.group.opts, opt)
	return nil
}

// takesArg says whether tok is the next argument of option name: free
// text is always exactly one argument, other options take the tokens up
// to the next flag.
func takesArg(name, tok string, have int) bool {
	if stringOptions[name] {
		return have == 0
	}
	return tok != "!" && !strings.HasPrefix(tok, "-")
}

func (p *ruleParser) endGroup() error {
	g := p.group
	if g == nil {
		return nil
	}
	p.group = nil
	if canon := canonicalOptions[g.name]; canon != nil {
		g.opts = canon(p.fam, g.opts)
	}
	m, err := parseModule(g)
	if err != nil {
		return fmt.Errorf("-m %s: %w", g.name, err)
	}
	m.text = groupText(g)
	m.rank = moduleRank
	p.rule.matches = append(p.rule.matches, m)
	return nil
}

func groupText(g *moduleGroup) []string {
	text := []string{"-m", g.name}
	for _, o := range g.opts {
		if o.negate {
			text = append(text, "!")
		}
		text = append(text, "--"+o.name)
		text = append(text, o.args...)
	}
	return text
}

// target parses -j and everything after it.
func (p *ruleParser) target() error {
	if err := p.endGroup(); err != nil {
		return err
	}
	if p.negate {
		return errors.New("\"!\" before -j")
	}
	name, err := p.next()
	if err != nil {
		return err
	}
	rest := p.toks[p.i:]
	p.i = len(p.toks)
	t, err := parseTarget(p.fam, name, rest)
	if err != nil {
		return fmt.Errorf("-j %s: %w", name, err)
	}
	if t.kind == targetDNAT && t.dnatPort != 0 && !protoModules[p.proto] {
		// libxt_DNAT, as the kernel contract test saw.
		return fmt.Errorf("-j DNAT to a port: need TCP, UDP, SCTP or DCCP with port specification")
	}
	p.rule.target = t
	return nil
}
