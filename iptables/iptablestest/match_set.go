package iptablestest

import (
	"fmt"
	"strings"
)

// The match modules the NetworkPolicy firewall uses, on top of those in
// fakematch.go.
func init() {
	moduleParsers["set"] = setModule
	moduleParsers["limit"] = limitModule
}

// setModule evaluates `[!] --match-set NAME src|dst` against the fake's
// FakeIPSets. Only one-dimensional sets (hash:ip, hash:net) are known.
func setModule(opts []moduleOption) (matchFunc, error) {
	return allOf(opts, func(o moduleOption) (matchFunc, error) {
		if o.name != "match-set" {
			return nil, errUnsupported
		}
		if len(o.args) != 2 {
			return nil, fmt.Errorf("want a set name and src or dst, got %q", o.args)
		}
		name, dir := o.args[0], o.args[1]
		if dir != "src" && dir != "dst" {
			return nil, fmt.Errorf("direction %q: %w", dir, errUnsupported)
		}
		return func(st *traceState, env *traceEnv) float64 {
			a := st.dst
			if dir == "src" {
				a = env.src
			}
			return boolProb(env.ipsets != nil && env.ipsets.SetContains(name, a))
		}, nil
	})
}

// limitModule matches every packet: the tracer follows one packet, which
// a rate limit with a burst always lets through. Only the options'
// syntax is checked.
func limitModule(opts []moduleOption) (matchFunc, error) {
	for _, o := range opts {
		arg, err := oneArg(o)
		if err != nil || o.negate {
			return nil, fmt.Errorf("bad limit option --%s", o.name)
		}
		switch o.name {
		case "limit":
			if _, unit, ok := strings.Cut(arg, "/"); !ok || !validLimitUnit(unit) {
				return nil, fmt.Errorf("bad rate %q", arg)
			}
		case "limit-burst":
			if _, err := parsePort(arg, 0); err != nil {
				return nil, fmt.Errorf("bad burst %q", arg)
			}
		default:
			return nil, fmt.Errorf("--%s: %w", o.name, errUnsupported)
		}
	}
	return func(*traceState, *traceEnv) float64 { return 1 }, nil
}

func validLimitUnit(u string) bool {
	for _, full := range []string{"second", "minute", "hour", "day"} {
		if u != "" && strings.HasPrefix(full, u) {
			return true
		}
	}
	return false
}
