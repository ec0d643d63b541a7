package iptablestest

import (
	"fmt"
	"strconv"
	"strings"
)

// The match modules the NetworkPolicy firewall uses, on top of those in
// match.go.
func init() {
	moduleParsers["set"] = setModule
	moduleParsers["limit"] = limitModule
	canonicalOptions["limit"] = limitOptions
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

// limitScale, limitUnits and limitBurst are libxt_limit's: a rate is
// kept as the period between packets in 1/limitScale seconds, printed in
// the largest unit that keeps it exact enough (print_rate), and a burst
// of 5, the default, is not printed. The kernel contract test saw
// "--limit 10/second --limit-burst 20" listed as "--limit 10/sec
// --limit-burst 20".
const (
	limitScale = 10000
	limitBurst = "5"
)

var limitUnits = []struct {
	name string
	secs uint32
}{{"day", 24 * 60 * 60}, {"hour", 60 * 60}, {"min", 60}, {"sec", 1}}

// limitOptions prints -m limit's options as iptables does: the rate
// (3/hour when not given) in its canonical unit, then the burst unless
// it is the default. A rate it cannot read is left for limitModule to
// refuse.
func limitOptions(_ family, opts []moduleOption) []moduleOption {
	rate := moduleOption{name: "limit", args: []string{"3/hour"}}
	var rest []moduleOption
	for _, o := range opts {
		switch {
		case o.name == "limit" && len(o.args) == 1:
			rate = o
		case o.name == "limit-burst" && len(o.args) == 1 && o.args[0] == limitBurst:
		default:
			rest = append(rest, o)
		}
	}
	if period, ok := limitPeriod(rate.args[0]); ok {
		rate.args = []string{printRate(period)}
	}
	return append([]moduleOption{rate}, rest...)
}

// limitPeriod is libxt_limit's parse_rate: "N[/unit]", unit a prefix of
// second, minute, hour or day (seconds by default).
func limitPeriod(rate string) (uint32, bool) {
	n, unit, _ := strings.Cut(rate, "/")
	secs := uint32(1)
	if unit != "" {
		if !validLimitUnit(unit) {
			return 0, false
		}
		secs = map[byte]uint32{'s': 1, 'm': 60, 'h': 60 * 60, 'd': 24 * 60 * 60}[unit[0]]
	}
	r, err := strconv.ParseUint(n, 10, 32)
	if err != nil || r == 0 || limitScale*uint64(secs)/r == 0 {
		return 0, false
	}
	return uint32(limitScale * uint64(secs) / r), true
}

// printRate is libxt_limit's print_rate.
func printRate(period uint32) string {
	i := 1
	for ; i < len(limitUnits); i++ {
		mult := limitScale * limitUnits[i].secs
		if period > mult || mult/period < mult%period {
			break
		}
	}
	u := limitUnits[i-1]
	return fmt.Sprintf("%d/%s", limitScale*u.secs/period, u.name)
}

func validLimitUnit(u string) bool {
	for _, full := range []string{"second", "minute", "hour", "day"} {
		if u != "" && strings.HasPrefix(full, u) {
			return true
		}
	}
	return false
}
