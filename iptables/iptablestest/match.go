package iptablestest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// protoModules are the match modules named after a protocol, loaded
// implicitly by -p for --dport.
var protoModules = map[string]bool{"tcp": true, "udp": true, "sctp": true}

// moduleParsers build the evaluator of a -m module from all its options:
// some options only make sense together (statistic's mode and
// probability).
var moduleParsers = map[string]func(opts []moduleOption) (matchFunc, error){
	"tcp":       portModule("tcp"),
	"udp":       portModule("udp"),
	"sctp":      portModule("sctp"),
	"comment":   commentModule,
	"addrtype":  addrtypeModule,
	"mark":      markModule,
	"conntrack": ctstateModule("ctstate"),
	"state":     ctstateModule("state"),
	"statistic": statisticModule,
	"recent":    recentModule,
	"nfacct":    acctModule,
}

// parseModule returns the match of a module group. Syntax errors the
// kernel would reject fail; modules or options the tracer does not know
// parse, but cannot be traced.
func parseModule(g *moduleGroup) (ruleMatch, error) {
	parser, ok := moduleParsers[g.name]
	if !ok {
		return ruleMatch{unsupported: fmt.Errorf("-m %s: %w", g.name, errUnsupported)}, nil
	}
	eval, err := parser(g.opts)
	if err != nil && isUnsupported(err) {
		return ruleMatch{unsupported: fmt.Errorf("-m %s: %w", g.name, err)}, nil
	}
	if err != nil {
		return ruleMatch{}, err
	}
	return ruleMatch{eval: eval}, nil
}

func isUnsupported(err error) bool { return errors.Is(err, errUnsupported) }

// allOf combines per-option evaluators: every option must match, each
// inverted by its own "!".
func allOf(opts []moduleOption, one func(moduleOption) (matchFunc, error)) (matchFunc, error) {
	var evals []matchFunc
	for _, o := range opts {
		e, err := one(o)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", o.name, err)
		}
		if o.negate {
			inner := e
			e = func(st *traceState, env *traceEnv) float64 { return 1 - inner(st, env) }
		}
		evals = append(evals, e)
	}
	return func(st *traceState, env *traceEnv) float64 {
		p := 1.0
		for _, e := range evals {
			p *= e(st, env)
		}
		return p
	}, nil
}

func oneArg(o moduleOption) (string, error) {
	if len(o.args) != 1 {
		return "", fmt.Errorf("want one argument, got %q", o.args)
	}
	return o.args[0], nil
}

func portModule(proto string) func([]moduleOption) (matchFunc, error) {
	return func(opts []moduleOption) (matchFunc, error) {
		return allOf(opts, func(o moduleOption) (matchFunc, error) {
			if o.name != "dport" && o.name != "destination-port" {
				return nil, errUnsupported
			}
			arg, err := oneArg(o)
			if err != nil {
				return nil, err
			}
			lo, hi, err := parsePortRange(arg)
			if err != nil {
				return nil, err
			}
			return func(st *traceState, env *traceEnv) float64 {
				return boolProb(env.proto == proto && st.dport >= lo && st.dport <= hi)
			}, nil
		})
	}
}

// parsePortRange reads N or A:B (either bound may be omitted).
func parsePortRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, ":")
	if !isRange {
		b = a
	}
	if lo, err = parsePort(a, 0); err != nil {
		return 0, 0, err
	}
	if hi, err = parsePort(b, 65535); err != nil {
		return 0, 0, err
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("port range %q is empty", s)
	}
	return lo, hi, nil
}

func parsePort(s string, empty int) (int, error) {
	if s == "" {
		return empty, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return n, nil
}

func commentModule(opts []moduleOption) (matchFunc, error) {
	for _, o := range opts {
		if o.name != "comment" || len(o.args) != 1 || o.negate {
			return nil, fmt.Errorf("bad comment option --%s", o.name)
		}
	}
	return func(*traceState, *traceEnv) float64 { return 1 }, nil
}

// addrtypeModule knows LOCAL, the only type nodenet matches.
func addrtypeModule(opts []moduleOption) (matchFunc, error) {
	return allOf(opts, func(o moduleOption) (matchFunc, error) {
		if o.name != "dst-type" && o.name != "src-type" {
			return nil, errUnsupported
		}
		arg, err := oneArg(o)
		if err != nil {
			return nil, err
		}
		if arg != "LOCAL" {
			return nil, fmt.Errorf("type %s: %w", arg, errUnsupported)
		}
		src := o.name == "src-type"
		return func(st *traceState, env *traceEnv) float64 {
			if src {
				return boolProb(env.isLocal(env.src))
			}
			return boolProb(env.isLocal(st.dst))
		}, nil
	})
}

func markModule(opts []moduleOption) (matchFunc, error) {
	return allOf(opts, func(o moduleOption) (matchFunc, error) {
		arg, err := oneArg(o)
		if err != nil || o.name != "mark" {
			return nil, fmt.Errorf("bad mark option: %v", err)
		}
		value, mask, err := parseMarkMask(arg, 0xffffffff)
		if err != nil {
			return nil, err
		}
		return func(st *traceState, _ *traceEnv) float64 { return boolProb(st.mark&mask == value) }, nil
	})
}

// parseMarkMask reads V or V/M (numbers in C syntax: 0x.., 0.., decimal).
func parseMarkMask(s string, defaultMask uint32) (value, mask uint32, err error) {
	v, m, hasMask := strings.Cut(s, "/")
	value, err = parseUint32(v)
	if err != nil {
		return 0, 0, err
	}
	mask = defaultMask
	if hasMask {
		if mask, err = parseUint32(m); err != nil {
			return 0, 0, err
		}
	}
	return value, mask, nil
}

func parseUint32(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("bad number %q: %w", s, err)
	}
	return uint32(n), nil
}

// ctstateModule evaluates the state of the traced packet: it is the first
// of a NEW connection, and its conntrack entry has the DNAT status once a
// DNAT rule rewrote it.
func ctstateModule(option string) func([]moduleOption) (matchFunc, error) {
	known := map[string]bool{"NEW": true, "ESTABLISHED": true, "RELATED": true, "INVALID": true, "UNTRACKED": true, "SNAT": true, "DNAT": true}
	return func(opts []moduleOption) (matchFunc, error) {
		return allOf(opts, func(o moduleOption) (matchFunc, error) {
			if o.name != option {
				return nil, errUnsupported
			}
			arg, err := oneArg(o)
			if err != nil {
				return nil, err
			}
			states := strings.Split(arg, ",")
			for _, s := range states {
				if !known[s] {
					return nil, fmt.Errorf("unknown state %q", s)
				}
			}
			return func(st *traceState, _ *traceEnv) float64 {
				for _, s := range states {
					if s == "NEW" || s == "DNAT" && st.dnat.IsValid() {
						return 1
					}
				}
				return 0
			}, nil
		})
	}
}

// statisticModule: random mode matches with its probability; the tracer
// follows both branches. nth mode depends on packet history: unsupported.
// The probability is rewritten in place to the kernel's value, which is
// also how iptables -S prints it.
func statisticModule(opts []moduleOption) (matchFunc, error) {
	var prob float64
	var negate, random, haveProb bool
	for i, o := range opts {
		arg, err := oneArg(o)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", o.name, err)
		}
		switch o.name {
		case "mode":
			random = arg == "random"
			if !random {
				return nil, fmt.Errorf("--mode %s: %w", arg, errUnsupported)
			}
		case "probability":
			if prob, err = kernelProbability(arg); err != nil {
				return nil, err
			}
			opts[i].args = []string{fmt.Sprintf("%.11f", prob)}
			negate, haveProb = o.negate, true
		default:
			return nil, fmt.Errorf("--%s: %w", o.name, errUnsupported)
		}
	}
	if !random || !haveProb {
		return nil, fmt.Errorf("need --mode random and --probability")
	}
	if negate {
		prob = 1 - prob
	}
	return func(*traceState, *traceEnv) float64 { return prob }, nil
}

// kernelProbability is p as xt_statistic holds it: a fraction of 2^31,
// rounded (libxt_statistic), so 1/3 is not quite 1/3.
func kernelProbability(s string) (float64, error) {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || p < 0 || p > 1 {
		return 0, fmt.Errorf("bad probability %q", s)
	}
	return math.Round(p*0x80000000) / 0x80000000, nil
}

// canonicalOptions put a module's options in the order, and with the
// defaults, that iptables -S prints them, where that is not simply the
// order they were given in.
var canonicalOptions = map[string]func(family, []moduleOption) []moduleOption{
	"recent": recentOptions,
}

// recentOrder is the order libxt_recent's save function prints options in.
var recentOrder = []string{"set", "rcheck", "update", "remove", "seconds", "reap", "hitcount", "rttl", "name", "mask", "rsource", "rdest"}

// recentOptions sorts -m recent's options as iptables prints them and
// adds the defaults it prints: --name DEFAULT, a full-length --mask (the
// kernel contract test saw `--mask 255.255.255.255` on rules written
// without one) and --rsource.
func recentOptions(fam family, opts []moduleOption) []moduleOption {
	has := map[string]bool{}
	for _, o := range opts {
		has[o.name] = true
	}
	out := opts
	if !has["name"] {
		out = append(out, moduleOption{name: "name", args: []string{"DEFAULT"}})
	}
	if !has["mask"] {
		out = append(out, moduleOption{name: "mask", args: []string{prefixMask(fam.hostBits == 32, fam.hostBits).String()}})
	}
	if !has["rsource"] && !has["rdest"] {
		out = append(out, moduleOption{name: "rsource"})
	}
	return inOrder(out, recentOrder)
}

// recentModule: --set always matches (it records the source); --rcheck
// and --update match when the traced packet says its source is in the
// named list (the tracer has no clock, so the timeout is not modelled).
// Only the source-address forms nodenet writes are supported.
func recentModule(opts []moduleOption) (matchFunc, error) {
	var name string
	var check, set bool
	for _, o := range opts {
		switch o.name {
		case "name":
			arg, err := oneArg(o)
			if err != nil {
				return nil, err
			}
			name = arg
		case "rcheck", "update":
			check = true
		case "set":
			set = true
		case "seconds", "reap", "rsource", "mask":
		default:
			return nil, fmt.Errorf("--%s: %w", o.name, errUnsupported)
		}
	}
	if check == set {
		return nil, fmt.Errorf("want exactly one of --set and --rcheck/--update")
	}
	if set {
		return func(*traceState, *traceEnv) float64 { return 1 }, nil
	}
	return func(_ *traceState, env *traceEnv) float64 {
		if env.recent[name] {
			return 1
		}
		return 0
	}, nil
}
