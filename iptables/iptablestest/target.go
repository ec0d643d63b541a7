package iptablestest

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

type targetKind int

const (
	targetNone targetKind = iota // no -j: the rule only counts
	targetJump                   // to a user chain
	targetAccept
	targetDrop
	targetReturn
	targetReject
	targetDNAT
	targetSNAT
	targetMasquerade
	targetMark
	targetLog
)

// standardTargets are the targets the fake knows; any other name is a
// jump to a user chain of the same table.
var standardTargets = map[string]targetKind{
	"ACCEPT": targetAccept, "DROP": targetDrop, "RETURN": targetReturn, "REJECT": targetReject,
	"DNAT": targetDNAT, "SNAT": targetSNAT, "MASQUERADE": targetMasquerade,
	"MARK": targetMark, "LOG": targetLog, "NFLOG": targetLog,
}

// ruleTarget is the -j part of a rule.
type ruleTarget struct {
	name string
	kind targetKind
	text []string // canonical tokens after -j
	// DNAT destination; port 0 keeps the packet's port.
	dnatAddr netip.Addr
	dnatPort int
	// MARK as the kernel applies it: mark = (mark &^ markClear) ^ markXor.
	markClear, markXor uint32
	// unsupported says why the tracer cannot follow this target.
	unsupported error
}

func parseTarget(fam family, name string, rest []string) (ruleTarget, error) {
	kind, ok := standardTargets[name]
	if !ok {
		if len(rest) > 0 {
			return ruleTarget{}, fmt.Errorf("chain jump takes no options, got %q", rest)
		}
		return ruleTarget{name: name, kind: targetJump, text: []string{name}}, nil
	}
	opts, err := parseTargetOptions(rest)
	if err != nil {
		return ruleTarget{}, err
	}
	t := ruleTarget{name: name, kind: kind, text: append([]string{name}, rest...)}
	switch kind {
	case targetAccept, targetDrop, targetReturn:
		if len(opts) > 0 {
			return ruleTarget{}, fmt.Errorf("takes no options, got %q", rest)
		}
	case targetReject:
		err = t.reject(fam, opts)
	case targetDNAT:
		err = t.dnat(fam, opts)
	case targetSNAT:
		t.unsupported = fmt.Errorf("-j SNAT: %w", errUnsupported)
	case targetMasquerade:
		err = t.masquerade(opts)
	case targetMark:
		err = t.mark(opts)
	case targetLog:
		if name == "NFLOG" {
			err = t.nflog(opts)
		}
	}
	return t, err
}

// nflogOrder is the order libxt_NFLOG prints its options in.
var nflogOrder = []string{"nflog-prefix", "nflog-group", "nflog-size", "nflog-range", "nflog-threshold"}

// nflog checks NFLOG's options and prints them as iptables -S does, in
// libxt_NFLOG's order whatever order they were given in (the kernel
// contract test saw --nflog-prefix printed before --nflog-group), and
// without --nflog-group 0, the default.
func (t *ruleTarget) nflog(opts []moduleOption) error {
	for _, o := range opts {
		if !slices.Contains(nflogOrder, o.name) || len(o.args) != 1 {
			return fmt.Errorf("bad option --%s", o.name)
		}
	}
	t.text = []string{"NFLOG"}
	for _, o := range inOrder(opts, nflogOrder) {
		if o.name != "nflog-group" || o.args[0] != "0" {
			t.text = append(t.text, "--"+o.name, o.args[0])
		}
	}
	return nil
}

// inOrder sorts options by their name's place in order (stable: an
// option given twice keeps its order).
func inOrder(opts []moduleOption, order []string) []moduleOption {
	out := slices.Clone(opts)
	slices.SortStableFunc(out, func(a, b moduleOption) int {
		return slices.Index(order, a.name) - slices.Index(order, b.name)
	})
	return out
}

// parseTargetOptions splits "--a x --b --c y" into options.
func parseTargetOptions(toks []string) ([]moduleOption, error) {
	var out []moduleOption
	for i := 0; i < len(toks); i++ {
		if !strings.HasPrefix(toks[i], "--") {
			return nil, fmt.Errorf("unexpected argument %q", toks[i])
		}
		o := moduleOption{name: strings.TrimPrefix(toks[i], "--")}
		for i+1 < len(toks) && takesArg(o.name, toks[i+1], len(o.args)) {
			i++
			o.args = append(o.args, toks[i])
		}
		out = append(out, o)
	}
	return out, nil
}

var rejectTypes = map[bool][]string{
	false: {"icmp-net-unreachable", "icmp-host-unreachable", "icmp-port-unreachable", "icmp-proto-unreachable",
		"icmp-net-prohibited", "icmp-host-prohibited", "icmp-admin-prohibited", "tcp-reset"},
	true: {"icmp6-no-route", "no-route", "icmp6-adm-prohibited", "adm-prohibited", "icmp6-addr-unreachable",
		"addr-unreach", "icmp6-port-unreachable", "port-unreach", "tcp-reset"},
}

// reject checks --reject-with against the family, and prints the default
// explicitly, as iptables -S does.
func (t *ruleTarget) reject(fam family, opts []moduleOption) error {
	with := fam.rejectICMP
	for _, o := range opts {
		arg, err := oneArg(o)
		if err != nil || o.name != "reject-with" {
			return fmt.Errorf("bad option --%s", o.name)
		}
		with = arg
	}
	for _, known := range rejectTypes[fam.hostBits == 128] {
		if with == known {
			t.text = []string{"REJECT", "--reject-with", with}
			return nil
		}
	}
	return fmt.Errorf("--reject-with %s is not valid for %s", with, fam.ipFamily)
}

func (t *ruleTarget) dnat(fam family, opts []moduleOption) error {
	have := false
	for _, o := range opts {
		switch o.name {
		case "random", "persistent":
		case "to-destination":
			arg, err := oneArg(o)
			if err != nil {
				return fmt.Errorf("--to-destination: %w", err)
			}
			if t.dnatAddr, t.dnatPort, err = parseNATDestination(fam, arg); err != nil {
				if !isUnsupported(err) {
					return err
				}
				t.unsupported = err
			}
			have = true
		default:
			return fmt.Errorf("unknown option --%s", o.name)
		}
	}
	if !have {
		return fmt.Errorf("needs --to-destination")
	}
	return nil
}

// parseNATDestination reads a, a:port (IPv4) or a, [a], [a]:port (IPv6).
// Address and port ranges are valid but not traceable.
func parseNATDestination(fam family, s string) (netip.Addr, int, error) {
	addrText, portText := s, ""
	if fam.hostBits == 128 {
		if strings.HasPrefix(s, "[") {
			end := strings.Index(s, "]")
			if end < 0 {
				return netip.Addr{}, 0, fmt.Errorf("bad destination %q", s)
			}
			addrText, portText = s[1:end], strings.TrimPrefix(s[end+1:], ":")
		}
	} else if a, p, ok := strings.Cut(s, ":"); ok {
		addrText, portText = a, p
	}
	if strings.Contains(addrText, "-") || strings.Contains(portText, "-") {
		return netip.Addr{}, 0, fmt.Errorf("range %q: %w", s, errUnsupported)
	}
	addr, err := netip.ParseAddr(addrText)
	if err != nil || !fam.owns(addr) {
		return netip.Addr{}, 0, fmt.Errorf("bad %s destination %q", fam.ipFamily, s)
	}
	port := 0
	if portText != "" {
		if port, err = strconv.Atoi(portText); err != nil || port < 1 || port > 65535 {
			return netip.Addr{}, 0, fmt.Errorf("bad port in destination %q", s)
		}
	}
	return addr, port, nil
}

func (t *ruleTarget) masquerade(opts []moduleOption) error {
	for _, o := range opts {
		switch o.name {
		case "random", "random-fully":
		case "to-ports":
			t.unsupported = fmt.Errorf("MASQUERADE --to-ports: %w", errUnsupported)
		default:
			return fmt.Errorf("unknown option --%s", o.name)
		}
	}
	return nil
}

// mark reduces every MARK form to the kernel's (clear, xor) pair and
// prints it as --set-xmark, as iptables -S does.
func (t *ruleTarget) mark(opts []moduleOption) error {
	if len(opts) != 1 {
		return fmt.Errorf("needs exactly one operation, got %d", len(opts))
	}
	o := opts[0]
	arg, err := oneArg(o)
	if err != nil {
		return err
	}
	v, m, err := parseMarkMask(arg, 0xffffffff)
	if err != nil {
		return err
	}
	hasMask := strings.Contains(arg, "/")
	switch {
	case o.name == "set-xmark":
		t.markClear, t.markXor = m, v
	case o.name == "set-mark":
		t.markClear, t.markXor = m|v, v
	case o.name == "or-mark" && !hasMask:
		t.markClear, t.markXor = v, v
	case o.name == "xor-mark" && !hasMask:
		t.markClear, t.markXor = 0, v
	case o.name == "and-mark" && !hasMask:
		t.markClear, t.markXor = ^v, 0
	default:
		return fmt.Errorf("bad option --%s %s", o.name, arg)
	}
	t.text = []string{"MARK", "--set-xmark", fmt.Sprintf("0x%x/0x%x", t.markXor, t.markClear)}
	return nil
}
